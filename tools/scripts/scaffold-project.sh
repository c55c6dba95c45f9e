#!/usr/bin/env bash
# Usage: tools/scripts/scaffold-project.sh <dir> <nx-name> <import-alias|-> "<tag,tag,tag>" <node|jsdom> [application|library]
# (Angular projects: switch jest.config.cjs to angularProject and add src/test-setup.ts, as libs/web/* do.)
# Creates the minimal files of an Nx project (project.json, tsconfig, jest, eslint, src/index.ts)
# and registers its path alias in tsconfig.base.json. Used once per new project; edit freely after.
set -euo pipefail
dir=$1; name=$2; alias=$3; tags=$4; env=$5; kind=${6:-library}
root=$(cd "$(dirname "$0")/../.." && pwd)
depth=$(echo "$dir" | awk -F/ '{print NF}')
up=$(printf '../%.0s' $(seq 1 "$depth"))
mkdir -p "$root/$dir/src"
tagjson=$(echo "$tags" | sed 's/[^,][^,]*/"&"/g')
cat > "$root/$dir/project.json" <<JSON
{
  "name": "$name",
  "\$schema": "${up}node_modules/nx/schemas/project-schema.json",
  "sourceRoot": "$dir/src",
  "projectType": "$kind",
  "tags": [$tagjson],
  "targets": {}
}
JSON
cat > "$root/$dir/tsconfig.json" <<JSON
{
  "extends": "${up}tsconfig.base.json",
  "compilerOptions": { "types": ["node", "jest"] },
  "include": ["src/**/*.ts"]
}
JSON
cat > "$root/$dir/tsconfig.spec.json" <<JSON
{
  "extends": "./tsconfig.json",
  "compilerOptions": { "isolatedModules": true, "module": "commonjs", "moduleResolution": "node" },
  "include": ["src/**/*.ts"]
}
JSON
cat > "$root/$dir/jest.config.cjs" <<JS
// eslint-disable-next-line @nx/enforce-module-boundaries -- the workspace's shared Jest settings
const { nodeProject } = require('${up}tools/jest/project.cjs');

module.exports = nodeProject('$name', __dirname);
JS
if echo "$tags" | grep -qE 'platform:(any|browser)'; then
cat > "$root/$dir/eslint.config.mjs" <<JS
import baseConfig, { noNodeBuiltins } from '${up}eslint.config.mjs';

export default [...baseConfig, ...noNodeBuiltins];
JS
else
cat > "$root/$dir/eslint.config.mjs" <<JS
import baseConfig from '${up}eslint.config.mjs';

export default [...baseConfig];
JS
fi
[ -f "$root/$dir/src/index.ts" ] || echo "export {};" > "$root/$dir/src/index.ts"
if [ "$alias" != "-" ]; then
  node -e '
    const fs=require("fs"); const f=process.argv[1]; const j=JSON.parse(fs.readFileSync(f,"utf8"));
    j.compilerOptions.paths[process.argv[2]]=[process.argv[3]+"/src/index.ts"];
    j.compilerOptions.paths=Object.fromEntries(Object.entries(j.compilerOptions.paths).sort());
    fs.writeFileSync(f, JSON.stringify(j,null,2)+"\n");' "$root/tsconfig.base.json" "$alias" "$dir"
fi
echo "scaffolded $name at $dir"
