// What the SDK did for one call, for `--debug` and for the message when AWS does not answer: the
// endpoint (scheme, host and port) it sent to, the HTTP status, content type and date of the last
// answer and how many attempts it made. Nothing from the request's or the answer's body.
export interface Observed {
  endpoint?: string
  status?: number
  contentType?: string
  attempts?: number
  /** The Date header of the last answer: AWS's clock, to the second. */
  date?: string
}

interface Metadata {
  readonly $metadata?: { readonly httpStatusCode?: number; readonly attempts?: number }
}

/** A header of a raw HTTP answer (on the result of a call, hidden on the SDK's error as `$response`). */
const header = (response: unknown, wanted: string): string | undefined => {
  if (typeof response !== "object" || response === null || !("headers" in response)) return undefined
  const headers: unknown = response.headers
  if (typeof headers !== "object" || headers === null) return ""
  const found = Object.entries(headers).find(([name]) => name.toLowerCase() === wanted)?.[1]
  return typeof found === "string" ? found : ""
}

const url = (request: unknown): string | undefined => {
  if (typeof request !== "object" || request === null || !("hostname" in request)) return undefined
  const { protocol, hostname, port } = request as { protocol?: string; hostname?: string; port?: number }
  return `${protocol ?? "https:"}//${hostname}${port ? `:${port}` : ""}`
}

/** A build-step middleware (after endpoint resolution, before retries) that fills `seen`. */
export const observe =
  (seen: Observed) =>
  <
    A extends { readonly request: unknown },
    B extends { readonly output: Metadata; readonly response: unknown },
  >(
    next: (args: A) => Promise<B>,
  ) =>
  async (args: A): Promise<B> => {
    const endpoint = url(args.request)
    if (endpoint !== undefined) seen.endpoint = endpoint
    const record = (metadata: Metadata["$metadata"], response: unknown) => {
      if (metadata?.httpStatusCode !== undefined) seen.status = metadata.httpStatusCode
      if (metadata?.attempts !== undefined) seen.attempts = metadata.attempts
      const type = header(response, "content-type")
      if (type !== undefined) seen.contentType = type
      const date = header(response, "date")
      if (date) seen.date = date
    }
    return next(args).then(
      (result) => {
        record(result.output.$metadata, result.response)
        return result
      },
      (error: unknown) => {
        const failed = error as (Metadata & { readonly $response?: unknown }) | undefined
        record(failed?.$metadata, failed?.$response)
        return Promise.reject(error)
      },
    )
  }

export const observerOptions = { step: "build", name: "awsIamLoginObserver" } as const
