// Entry of the playground page.
import * as sim from 'evloop/sim';
import { mount } from './app.js';

mount(document.getElementById('app'), sim);
