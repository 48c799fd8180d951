// What the SDK did for one call, for `--debug` and for the message when AWS does not answer: the
// endpoint (scheme, host and port) it sent to, the HTTP status of the last attempt and how many
// attempts it made. Nothing from the request's body or headers.
export interface Observed {
  endpoint?: string
  status?: number
  attempts?: number
}

interface Metadata {
  readonly $metadata?: { readonly httpStatusCode?: number; readonly attempts?: number }
}

const url = (request: unknown): string | undefined => {
  if (typeof request !== "object" || request === null || !("hostname" in request)) return undefined
  const { protocol, hostname, port } = request as { protocol?: string; hostname?: string; port?: number }
  return `${protocol ?? "https:"}//${hostname}${port ? `:${port}` : ""}`
}

/** A build-step middleware (after endpoint resolution, before retries) that fills `seen`. */
export const observe =
  (seen: Observed) =>
  <A extends { readonly request: unknown }, B extends { readonly output: Metadata }>(
    next: (args: A) => Promise<B>,
  ) =>
  async (args: A): Promise<B> => {
    const endpoint = url(args.request)
    if (endpoint !== undefined) seen.endpoint = endpoint
    const record = (metadata: Metadata["$metadata"]) => {
      if (metadata?.httpStatusCode !== undefined) seen.status = metadata.httpStatusCode
      if (metadata?.attempts !== undefined) seen.attempts = metadata.attempts
    }
    return next(args).then(
      (result) => {
        record(result.output.$metadata)
        return result
      },
      (error: unknown) => {
        record((error as Metadata | undefined)?.$metadata)
        return Promise.reject(error)
      },
    )
  }

export const observerOptions = { step: "build", name: "awsIamLoginObserver" } as const
