// The terminals page: shows the terminal manager's tabs (which outlive this page).

import * as terminals from '../terminals.js';

export const terminalsView = {
  title: 'Terminals',
  mount(el) {
    const section = document.createElement('section');
    section.className = 'page page-terminals';
    const heading = document.createElement('h1');
    heading.className = 'sr-only';
    heading.textContent = 'Terminals';
    section.append(heading, terminals.element());
    el.append(section);
    terminals.shown();
    return () => section.remove();
  },
};
