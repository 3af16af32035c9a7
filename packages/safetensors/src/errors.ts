/** Thrown for every malformed file or invalid argument; the message names the tensor and the problem. */
export class SafetensorsError extends Error {
  constructor(message: string) {
    super(`safetensors: ${message}`);
    this.name = 'SafetensorsError';
  }
}
