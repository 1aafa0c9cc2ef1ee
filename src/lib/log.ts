/** The slice of a pino logger domain code uses, so it does not depend on the HTTP framework. */
export interface Log {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}
