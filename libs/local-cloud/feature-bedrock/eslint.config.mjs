import baseConfig from '../../../eslint.config.mjs';

export default [
  ...baseConfig,
  {
    // The stand-in checks what the app sends against AWS's documented rules (aws-model-rules.ts): taking
    // them from the app's own model catalog would only confirm the app's mistakes (docs/adr/0012).
    files: ['**/*.ts'],
    ignores: ['**/*.spec.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: '@imagegen/contracts',
              message:
                "The Bedrock stand-in takes AWS's rules from its own table (aws-model-rules.ts), never from the app's catalog.",
            },
          ],
        },
      ],
    },
  },
];
