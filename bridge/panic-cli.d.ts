/** Types of panic-cli.js, for the TypeScript CLI that delegates to it. */
export function panic(argv: string[]): Promise<void>;
