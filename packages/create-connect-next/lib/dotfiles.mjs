/**
 * npm never puts `.gitignore` or `.npmrc` in a package, wherever they are (npm-packlist's fixed rules), so
 * the template ships them without the dot and the create command puts the dot back.
 */
const STRIPPED_BY_NPM = new Set(['.gitignore', '.npmrc']);

/** The name a template file has inside the package. @param {string} name */
export function packedName(name) {
  return STRIPPED_BY_NPM.has(name) ? name.slice(1) : name;
}

/** The name a packed template file gets in the new project. @param {string} name */
export function unpackedName(name) {
  return STRIPPED_BY_NPM.has(`.${name}`) ? `.${name}` : name;
}
