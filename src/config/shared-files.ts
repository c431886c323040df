/**
 * The shared AWS files, `~/.aws/config` and `~/.aws/credentials`, read the way the AWS SDKs and
 * the CLI read them, but strictly: a malformed line is a {@link KmsConfigError} naming the file and
 * the line, where the SDK's loader would silently treat the whole file as empty.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { KmsConfigError } from '../errors.js';
import { readSmallFile, SmallFileError } from './small-file.js';

/** The largest shared file read (generated configs with thousands of profiles are a few MB). */
export const maxSharedFileBytes = 16 * 1024 * 1024;

/** Settings of one INI section; sub-settings (`kms =` then indented lines) are `kms.name` keys. */
export type IniSection = Readonly<Record<string, string>>;

/** Sections by name; `[profile dev]` in the config file is `profile dev`, quotes removed. */
export type IniFile = ReadonlyMap<string, IniSection>;

/** Both shared files, parsed, and where they were looked for. */
export interface SharedFiles {
  /** Path of the config file (`AWS_CONFIG_FILE` or `~/.aws/config`). */
  readonly configPath: string;
  /** Path of the credentials file (`AWS_SHARED_CREDENTIALS_FILE` or `~/.aws/credentials`). */
  readonly credentialsPath: string;
  /** Sections of the config file; empty when the file does not exist. */
  readonly config: IniFile;
  /** Sections of the credentials file; empty when the file does not exist. */
  readonly credentials: IniFile;
}

/** A profile: its settings from both files, the credentials file winning key by key. */
export interface Profile {
  /** The profile name. */
  readonly name: string;
  /** Merged settings. */
  readonly settings: IniSection;
}

/** The home directory as the SDK finds it: HOME, USERPROFILE, HOMEDRIVE+HOMEPATH, then the OS. */
export function homeDirectory(env: NodeJS.ProcessEnv): string {
  if (env.HOME) return env.HOME;
  if (env.USERPROFILE) return env.USERPROFILE;
  if (env.HOMEPATH) return `${env.HOMEDRIVE ?? 'C:\\'}${env.HOMEPATH}`;
  return homedir();
}

function expandHome(path: string, env: NodeJS.ProcessEnv): string {
  return path.startsWith('~/') ? join(homeDirectory(env), path.slice(2)) : path;
}

/** Paths of the two shared files for this environment. */
export function sharedFilePaths(env: NodeJS.ProcessEnv): {
  configPath: string;
  credentialsPath: string;
} {
  const home = homeDirectory(env);
  return {
    configPath: expandHome(env.AWS_CONFIG_FILE || join(home, '.aws', 'config'), env),
    credentialsPath: expandHome(
      env.AWS_SHARED_CREDENTIALS_FILE || join(home, '.aws', 'credentials'),
      env,
    ),
  };
}

/** Reads and parses both shared files; a missing file is empty, an unreadable or malformed one throws. */
export async function loadSharedFiles(env: NodeJS.ProcessEnv): Promise<SharedFiles> {
  const { configPath, credentialsPath } = sharedFilePaths(env);
  const [config, credentials] = await Promise.all([
    loadIniFile(configPath),
    loadIniFile(credentialsPath),
  ]);
  return { configPath, credentialsPath, config, credentials };
}

async function loadIniFile(path: string): Promise<IniFile> {
  let text: string;
  try {
    // Never blocks on a FIFO (refused); /dev/null stays allowed: it is how some disable the file.
    text = await readSmallFile(path, { maxBytes: maxSharedFileBytes, allowNullDevice: true });
  } catch (error) {
    const code = error instanceof SmallFileError ? error.code : undefined;
    if (code === 'ENOENT' || code === 'ENOTDIR') return new Map();
    throw new KmsConfigError(
      `Cannot read shared AWS file ${path}: ${error instanceof SmallFileError ? error.message : String(error)}`,
      { cause: error },
    );
  }
  return parseIni(text, path);
}

// Section names the SDK accepts after a prefix (`profile`, `services`, `sso-session`).
const prefixedSection = /^([\w-]+)\s+(["'])?([\w\-@+.%:/]+)\2$/;

/**
 * Parses INI text as the AWS SDKs do (comments `#`/`;` at the start or after white space,
 * `name = value`, an empty value opening indented sub-settings, indented lines continuing a value),
 * but throws {@link KmsConfigError} on any line it cannot place. Errors name the file and the
 * line number, never the line: it may hold a secret.
 *
 * @param text - the file's contents.
 * @param path - the file name, for errors.
 */
export function parseIni(text: string, path: string): IniFile {
  const sections = new Map<string, Record<string, string>>();
  let section: Record<string, string> | undefined;
  let subSection: string | undefined;
  let lastKey: string | undefined;
  const fail = (lineNumber: number, problem: string): never => {
    throw new KmsConfigError(`Malformed shared AWS file ${path}, line ${lineNumber}: ${problem}`);
  };
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  for (const [index, rawLine] of lines.entries()) {
    const lineNumber = index + 1;
    const line = (rawLine.split(/(?:^|\s)[;#]/)[0] ?? '').trim();
    if (line === '') continue;
    const indented = rawLine.trimStart() !== rawLine;
    if (line.startsWith('[')) {
      if (!line.endsWith(']')) fail(lineNumber, "section header has no closing ']'");
      const name = sectionName(line.slice(1, -1).trim());
      if (name === '') fail(lineNumber, 'empty section name');
      if (name === '__proto__' || name.endsWith(' __proto__')) {
        fail(lineNumber, 'invalid section name');
      }
      section = sections.get(name);
      if (!section) {
        section = Object.create(null) as Record<string, string>;
        sections.set(name, section);
      }
      subSection = undefined;
      lastKey = undefined;
      continue;
    }
    if (!section) {
      fail(lineNumber, 'setting outside of any [section]');
      continue;
    }
    const equals = line.indexOf('=');
    if (equals === -1) {
      // An indented line after a setting continues its value (botocore and the Java SDK do this).
      if (indented && lastKey !== undefined && subSection === undefined) {
        section[lastKey] = `${section[lastKey]}\n${line}`;
        continue;
      }
      fail(lineNumber, "expected 'name = value'");
    }
    const name = line.slice(0, equals).trim();
    const value = line.slice(equals + 1).trim();
    if (name === '') fail(lineNumber, "expected 'name = value' (the name is empty)");
    if (subSection !== undefined && !indented) subSection = undefined;
    if (value === '' && subSection === undefined) {
      subSection = name;
      lastKey = undefined;
      continue;
    }
    const key = subSection !== undefined ? `${subSection}.${name}` : name;
    section[key] = value;
    lastKey = subSection !== undefined ? undefined : key;
  }
  return sections;
}

function sectionName(inside: string): string {
  const match = prefixedSection.exec(inside);
  return match ? `${match[1]} ${match[3]}` : inside;
}

/**
 * The settings of a profile, or undefined when neither file has it. In the config file a profile
 * is `[profile name]` (`[default]` also works for the default profile, `[profile default]` wins);
 * in the credentials file it is `[name]`.
 */
export function findProfile(files: SharedFiles, name: string): Profile | undefined {
  const fromConfig =
    files.config.get(`profile ${name}`) ??
    (name === 'default' ? files.config.get('default') : undefined);
  const fromCredentials = files.credentials.get(name);
  if (!fromConfig && !fromCredentials) return undefined;
  const settings = Object.assign(
    Object.create(null) as Record<string, string>,
    fromConfig,
    fromCredentials,
  );
  return { name, settings };
}

/** A `[services name]` section of the config file, or undefined. */
export function findServicesSection(files: SharedFiles, name: string): IniSection | undefined {
  return files.config.get(`services ${name}`);
}
