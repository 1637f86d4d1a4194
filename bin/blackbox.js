#!/usr/bin/env node
// `panic` runs as plain JavaScript (nothing to compile, so it answers at once); every other
// command runs the TypeScript CLI through tsx's loader, so `npx blackbox` works without a build step.
if (process.argv[2] === 'panic') {
  const { panic } = await import('../bridge/panic-cli.js');
  await panic(process.argv.slice(3));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../bridge/cli.ts');
}
