// Types of scripts/preflight-test.mjs (plain JavaScript so that it runs before `npm ci`), for its tests.

/** One Debian package the tests use, and how to tell it is installed. */
export interface TestTool {
  readonly package: string;
  readonly why: string;
  /** An executable on PATH. */
  readonly command?: string;
  /** An environment variable that, when set, holds the tool's path instead. */
  readonly env?: string;
  /** A shared library's soname, looked for in the library folders. */
  readonly library?: string;
  /** Absolute paths, any of which will do. */
  readonly file?: readonly string[];
}

/** What the preflight asks of the machine. */
export interface Probes {
  readonly env: Readonly<Record<string, string | undefined>>;
  hasCommand(name: string): boolean;
  hasFile(path: string): boolean;
  hasLibrary(soname: string): boolean;
  isRoot(): boolean;
  canSudo(): boolean;
  hasApt(): boolean;
}

/** What `npm test` does about missing tools. */
export type Decision =
  | { readonly action: 'run' }
  | { readonly action: 'install'; readonly packages: readonly string[] }
  | { readonly action: 'stop'; readonly message: string };

export const TEST_TOOLS: readonly TestTool[];
export const SETUP_COMMAND: string;
export function systemProbes(env?: Readonly<Record<string, string | undefined>>): Probes;
export function toolPresent(tool: TestTool, probes: Probes): boolean;
export function findMissing(tools: readonly TestTool[], probes: Probes): TestTool[];
export function stopMessage(missing: readonly TestTool[], why: string): string;
export function decide(missing: readonly TestTool[], probes: Probes): Decision;
