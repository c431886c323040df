/** Builds, packs and installs the package into a fresh temporary project; returns its folder. */
export declare function installPackedPackage(prefix: string): string;
