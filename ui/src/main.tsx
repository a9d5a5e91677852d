import { boot } from './boot';
import { recordPageErrors } from './error-log';
import './styles/theme.css';
import './styles/app.css';

recordPageErrors();

const root = document.getElementById('app');
if (root) void boot(root);
