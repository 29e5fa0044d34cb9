/**
 * Runs as `postpack`: removes template/, which `prepack` built for the tarball. Left in the repository it is a
 * second copy of the whole app that type checks, test and bench runs and code searches would pick up.
 */
import { rmSync } from 'node:fs';
import path from 'node:path';

rmSync(path.resolve(import.meta.dirname, '../template'), { recursive: true, force: true });
