/** A caller's mistake (bad control input, unknown QR or phone): the control API answers 400 with this message. */
export class EmulatorInputError extends Error {
  constructor(
    message: string,
    readonly statusCode = 400,
  ) {
    super(message);
    this.name = 'EmulatorInputError';
  }
}
