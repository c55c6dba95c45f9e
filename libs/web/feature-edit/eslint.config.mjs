import baseConfig, { angularRules, noNodeBuiltins } from '../../../eslint.config.mjs';

export default [...baseConfig, ...noNodeBuiltins, ...angularRules];
