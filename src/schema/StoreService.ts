/** The service name of every item this tool keeps in the OS secret store (the account is the key id). */
export const storeService = "aws-iam-login"
