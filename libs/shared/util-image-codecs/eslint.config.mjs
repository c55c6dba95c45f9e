import baseConfig, { noNodeBuiltins } from '../../../eslint.config.mjs';

export default [...baseConfig, ...noNodeBuiltins];
