// Entry of the playground page.
import * as sim from 'evloop/sim';
import * as tools from 'evloop/sim/tools';
import { mount } from './app.js';

const root = document.getElementById('app');
if (root === null) throw new Error('the page has no #app element');
mount(root, sim, tools);
