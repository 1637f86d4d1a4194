/**
 * Builds the Excel add-in into dist/addin (served by the bridge at its root):
 *   taskpane.html  loads taskpane.js + functions.js + commands.js (one shared runtime)
 *   functions.json generated from the JSDoc of addin/src/functions/functions.ts
 *   assets/*.png   icons named in manifest.xml
 *   manifest.xml   copy of the root manifest (URLs rewritten when BLACKBOX_ADDIN_URL is set)
 * Office.js itself is not bundled: taskpane.html loads it from Microsoft's CDN.
 *
 *   npm run build:addin                       production build
 *   BLACKBOX_ADDIN_URL=https://host:3443/ npm run build:addin
 */
import CopyWebpackPlugin from 'copy-webpack-plugin';
import CustomFunctionsMetadataPlugin from 'custom-functions-metadata-plugin';
import HtmlWebpackPlugin from 'html-webpack-plugin';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(fileURLToPath(import.meta.url));
const URL_DEV = 'https://localhost:3000/';

export default (env = {}, argv = {}) => {
  const dev = argv.mode === 'development';
  const urlProd = env.urlProd || process.env.BLACKBOX_ADDIN_URL || URL_DEV;
  const functionsEntry = './addin/src/functions/functions.ts';
  return {
    mode: dev ? 'development' : 'production',
    context: root,
    devtool: dev ? 'eval-source-map' : 'source-map',
    entry: {
      taskpane: './addin/src/taskpane/index.tsx',
      functions: functionsEntry,
      commands: './addin/src/commands/commands.ts',
    },
    output: {
      path: path.join(root, 'dist', 'addin'),
      filename: '[name].js',
      clean: true,
    },
    resolve: {
      extensions: ['.ts', '.tsx', '.js', '.mjs'],
      // Sources import './x.js' (Node ESM style); let webpack find the .ts/.tsx file.
      extensionAlias: { '.js': ['.ts', '.tsx', '.js'] },
    },
    module: {
      rules: [
        {
          test: /\.tsx?$/,
          exclude: /node_modules/,
          use: {
            loader: 'ts-loader',
            // Type checking is `npm run typecheck`; the build only transpiles.
            options: { configFile: path.join(root, 'addin', 'tsconfig.json'), transpileOnly: true },
          },
        },
      ],
    },
    plugins: [
      // Writes functions.json and appends CustomFunctions.associate(...) to functions.ts.
      new CustomFunctionsMetadataPlugin({ output: 'functions.json', input: functionsEntry }),
      // Inside Excel: the shared runtime (pane, functions, ribbon) with Office.js.
      new HtmlWebpackPlugin({
        filename: 'taskpane.html',
        template: './addin/src/taskpane/taskpane.html',
        chunks: ['taskpane', 'functions', 'commands'],
        scriptLoading: 'defer',
        officeJs: true,
      }),
      // Browser mode at the bridge's root: the pane alone, no Office.js, no dependency on Microsoft's CDN.
      new HtmlWebpackPlugin({
        filename: 'index.html',
        template: './addin/src/taskpane/taskpane.html',
        chunks: ['taskpane'],
        scriptLoading: 'defer',
        officeJs: false,
      }),
      new CopyWebpackPlugin({
        patterns: [
          { from: 'addin/assets/*.png', to: 'assets/[name][ext]' },
          {
            from: 'manifest.xml',
            to: 'manifest.xml',
            transform: (content) =>
              urlProd === URL_DEV ? content : content.toString().replace(/https:\/\/localhost:3000/g, urlProd.replace(/\/$/, '')),
          },
        ],
      }),
    ],
    performance: { hints: false },
    stats: 'errors-warnings',
  };
};
