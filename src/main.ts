// Process entry. Turns on Node's on-disk compile cache before anything else is loaded, so that later
// starts reuse compiled code (and stripped TypeScript) instead of parsing every module again.
import module from 'node:module';

module.enableCompileCache?.();
await import('./cli.ts');
