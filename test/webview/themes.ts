/**
 * The --vscode-* variables VS Code puts on a webview's <html> for three built-in themes (the
 * ones our webviews read), and the body class for each. Values from Light Modern, Dark Modern
 * and Dark High Contrast.
 */
export type ThemeName = 'light' | 'dark' | 'high-contrast';

export const BODY_CLASS: Record<ThemeName, string> = {
  light: 'vscode-light',
  dark: 'vscode-dark',
  'high-contrast': 'vscode-high-contrast',
};

const common = {
  'font-family': 'system-ui, "Ubuntu", "Droid Sans", sans-serif',
  'font-size': '13px',
  'font-weight': 'normal',
  'editor-font-family': '"Droid Sans Mono", "monospace", monospace',
};

export const THEMES: Record<ThemeName, Record<string, string>> = {
  light: {
    ...common,
    'foreground': '#3b3b3b', 'editor-background': '#ffffff', 'editor-foreground': '#3b3b3b',
    'descriptionForeground': '#3b3b3b', 'panel-border': '#e5e5e5', 'focusBorder': '#005fb8',
    'errorForeground': '#f85149', 'editorWarning-foreground': '#bf8803',
    'editorWidget-background': '#f8f8f8', 'editorWidget-border': '#c8c8c8',
    'editorHoverWidget-background': '#f8f8f8', 'editorHoverWidget-border': '#c8c8c8', 'editorHoverWidget-foreground': '#3b3b3b',
    'button-background': '#005fb8', 'button-foreground': '#ffffff', 'button-hoverBackground': '#0258a8',
    'button-secondaryBackground': '#e5e5e5', 'button-secondaryForeground': '#3b3b3b', 'button-secondaryHoverBackground': '#cccccc',
    'dropdown-background': '#ffffff', 'dropdown-foreground': '#3b3b3b', 'dropdown-border': '#cecece',
    'charts-foreground': '#616161', 'charts-lines': 'rgba(97, 97, 97, 0.5)', 'charts-red': '#e51400',
    'charts-blue': '#1a85ff', 'charts-yellow': '#bf8803', 'charts-orange': '#d18616', 'charts-green': '#388a34',
    'charts-purple': '#652d90', 'widget-shadow': 'rgba(0, 0, 0, 0.16)',
  },
  dark: {
    ...common,
    'foreground': '#cccccc', 'editor-background': '#1f1f1f', 'editor-foreground': '#cccccc',
    'descriptionForeground': '#9d9d9d', 'panel-border': '#2b2b2b', 'focusBorder': '#0078d4',
    'errorForeground': '#f85149', 'editorWarning-foreground': '#cca700',
    'editorWidget-background': '#202020', 'editorWidget-border': '#454545',
    'editorHoverWidget-background': '#202020', 'editorHoverWidget-border': '#454545', 'editorHoverWidget-foreground': '#cccccc',
    'button-background': '#0078d4', 'button-foreground': '#ffffff', 'button-hoverBackground': '#026ec1',
    'button-secondaryBackground': '#313131', 'button-secondaryForeground': '#cccccc', 'button-secondaryHoverBackground': '#3c3c3c',
    'dropdown-background': '#313131', 'dropdown-foreground': '#cccccc', 'dropdown-border': '#3c3c3c',
    'charts-foreground': '#cccccc', 'charts-lines': 'rgba(204, 204, 204, 0.5)', 'charts-red': '#f14c4c',
    'charts-blue': '#3794ff', 'charts-yellow': '#cca700', 'charts-orange': '#d18616', 'charts-green': '#89d185',
    'charts-purple': '#b180d7', 'widget-shadow': 'rgba(0, 0, 0, 0.36)',
  },
  'high-contrast': {
    ...common,
    'foreground': '#ffffff', 'editor-background': '#000000', 'editor-foreground': '#ffffff',
    'descriptionForeground': '#ffffff', 'panel-border': '#6fc3df', 'contrastBorder': '#6fc3df', 'focusBorder': '#f38518',
    'errorForeground': '#f48771', 'editorWarning-foreground': '#ffd370',
    'editorWidget-background': '#0c141f', 'editorWidget-border': '#6fc3df',
    'editorHoverWidget-background': '#0c141f', 'editorHoverWidget-border': '#6fc3df', 'editorHoverWidget-foreground': '#ffffff',
    'button-background': '#000000', 'button-foreground': '#ffffff', 'button-hoverBackground': '#000000',
    'button-secondaryBackground': '#000000', 'button-secondaryForeground': '#ffffff', 'button-secondaryHoverBackground': '#000000',
    'dropdown-background': '#000000', 'dropdown-foreground': '#ffffff', 'dropdown-border': '#6fc3df',
    'charts-foreground': '#ffffff', 'charts-lines': 'rgba(255, 255, 255, 0.5)', 'charts-red': '#f48771',
    'charts-blue': '#3794ff', 'charts-yellow': '#ffd370', 'charts-orange': '#ffd370', 'charts-green': '#89d185',
    'charts-purple': '#b180d7', 'widget-shadow': 'rgba(0, 0, 0, 0)',
  },
};

/** The CSS text VS Code would put in <html style="...">. */
export function themeCss(name: ThemeName): string {
  return Object.entries(THEMES[name]).map(([k, v]) => `--vscode-${k}: ${v};`).join(' ');
}
