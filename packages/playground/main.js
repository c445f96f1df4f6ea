// Entry of the playground page.
import * as sim from 'evloop/sim';
import * as tools from 'evloop/sim/tools';
import { mount } from './app.js';

mount(document.getElementById('app'), sim, tools);
