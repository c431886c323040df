/** Which profile of the shared files a client uses. */

/** Which profile is used and who chose it. */
export interface ProfileSelection {
  /** The profile name. */
  readonly name: string;
  /** `config.profile`, `AWS_PROFILE`, or `default` when nobody chose. */
  readonly chosenBy: 'config.profile' | 'AWS_PROFILE' | 'default';
}

/** The profile from `config.profile`, else `AWS_PROFILE`, else `default`. */
export function selectProfile(
  configProfile: string | undefined,
  env: NodeJS.ProcessEnv,
): ProfileSelection {
  if (configProfile) return { name: configProfile, chosenBy: 'config.profile' };
  if (env.AWS_PROFILE) return { name: env.AWS_PROFILE, chosenBy: 'AWS_PROFILE' };
  return { name: 'default', chosenBy: 'default' };
}
