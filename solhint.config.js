// solhint's configuration (`make lint` runs it with --max-warnings 0). The recommended rules,
// with the choices below; docs/contracts.md says why each finding left is accepted.
'use strict';

module.exports = {
  extends: 'solhint:recommended',
  rules: {
    'compiler-version': ['error', '^0.8.28'],
    // Constructors have no visibility since Solidity 0.7.
    'func-visibility': ['warn', { ignoreConstructors: true }],
    // Public bodies, not people, write these contracts: no @author. Every other tag is required.
    'use-natspec': [
      'warn',
      {
        title: { enabled: true },
        author: { enabled: false },
        notice: { enabled: true },
        param: { enabled: true },
        return: { enabled: true },
      },
    ],
    // Events index what clients filter on (roots, offices, keys, types, logs); indexing more
    // costs gas on every anchor and status change and buys no query anyone makes.
    'gas-indexed-events': 'off',
    // The windows are half-open, [from, until): `from <= at && at < until` says so; a strict
    // rewrite would obscure the rule to save a few gas.
    'gas-strict-inequalities': 'off',
    // Private immutables follow the private-state naming of the style guide (`_registry`), as
    // OpenZeppelin's do.
    'immutable-vars-naming': 'off',
  },
};
