// Bundled by the VS Code widget test (esbuild, at test time) into one browser script: the kernel
// connection of JupyterLab's services package, which VS Code's Jupyter extension runs in its
// notebook webview (over a proxy socket) as the kernel of its ipywidgets manager.
import { ServerConnection } from '@jupyterlab/services';
import { KernelConnection } from '@jupyterlab/services/lib/kernel/default';

globalThis.jupyterServices = { ServerConnection, KernelConnection };
