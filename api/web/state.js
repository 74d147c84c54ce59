// The page's state shared by every module: who is signed in, the programs
// and current term, and the route being drawn.

export const TOKEN_KEY = 'studentaid.token';
export const USER_KEY = 'studentaid.user';

export const state = { user: null, programs: [], term: '', currentTerm: '', now: '', gen: 0, flash: '', after: '', query: new URLSearchParams(), cache: {} };
