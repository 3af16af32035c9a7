// Buffered CliIO for tests of main(): what the program printed, and the exit code it set.
import type {CliIO} from '../main.js';

export function bufferIO(): CliIO & {out: string; err: string; code: number} {
  const io = {
    out: '',
    err: '',
    code: 0,
    stdout: (t: string) => void (io.out += t),
    stderr: (t: string) => void (io.err += t),
    setExitCode: (c: number) => void (io.code = c),
  };
  return io;
}
