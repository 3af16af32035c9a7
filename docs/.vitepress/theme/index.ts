// The default theme with the demo's styles added.
import DefaultTheme from 'vitepress/theme';
import './demo.css';

export default DefaultTheme;
