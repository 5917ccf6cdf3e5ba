// A POST whose fields are all optional may come without a body at all. The hook that reads it so also
// marks the route for the OpenAPI document (openapi.ts), whose generator says every body is required.

/** A POST without a body (or with JSON `null`) means "no fields": validate it as `{}`. */
export async function emptyBodyIsObject(req: { body: unknown }): Promise<void> {
  req.body ??= {};
}
