// Stands in for @aws-sdk/credential-provider-node in the SDK chunks. Every call passes the profile's
// key explicitly; a client without one must fail, not sign with whatever key the environment has.
export const defaultProvider = () => () =>
  Promise.reject(new Error("aws-iam-login gives every AWS client its credentials explicitly"))
