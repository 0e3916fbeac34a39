// The page side of VS Code's notebook widgets, rebuilt from the parts VS Code's Jupyter extension
// uses, for tests/unit/test_vscode_widget.py.
//
// VS Code renders ipywidgets in a webview: requirejs, the `@vscode/jupyter-ipywidgets8` bundle
// (its `WidgetManager`), and a kernel connection from `@jupyterlab/services` whose web socket is a
// proxy that posts every wire message to the extension host, which relays it to the real kernel
// (and the kernel's messages back). Widget modules the manager does not bundle (`anywidget`) are
// asked of the extension host, which finds them in the kernel environment's `nbextensions` folder
// and answers with a script URI that is registered in requirejs.
//
// Here the extension host is the Python test: it drains `vscodeHost.outbox` (what the page posts)
// and calls `vscodeHost.receive(message)` (what the host posts). Messages are
// `{type: 'ws', payload: <kernel wire message, JSON text>}`,
// `{type: 'script-request', payload: {moduleName, moduleVersion}}` (page → host) and
// `{type: 'script-source', payload: {moduleName, scriptUri}}` (host → page).
// What this file does mirrors vscode-jupyter's webview code (kernel.ts: ProxyKernel,
// manager.ts: renderWidget, scriptManager.ts / requirejsRegistry.ts); it is written here.
(function () {
  'use strict';
  const outbox = [];
  const loaded = [];
  const failed = [];
  const log = [];
  const pendingScripts = new Map();
  const views = [];
  let socket = null;
  let kernel = null;
  let manager = null;

  const post = (type, payload) => outbox.push({ type, payload });

  // The web socket the kernel connection writes to: every frame goes to the extension host.
  class ProxyWebSocket {
    constructor() {
      this.protocol = ''; // the JSON wire format (no binary frames)
      this.onopen = null;
      this.onmessage = null;
      this.onclose = null;
      this.onerror = null;
      socket = this;
    }
    close() {}
    send(data) {
      if (typeof data !== 'string') {
        throw new Error('binary kernel frames are not relayed by this host');
      }
      post('ws', data);
    }
  }

  function createKernel(options) {
    const { ServerConnection, KernelConnection } = globalThis.jupyterServices;
    const serverSettings = ServerConnection.makeSettings({ WebSocket: ProxyWebSocket, wsUrl: 'ws://extension-host' });
    const k = new KernelConnection({
      serverSettings,
      clientId: options.clientId,
      handleComms: true,
      username: options.userName,
      model: options.model,
    });
    // The socket "opens" at once; as VS Code does, the kernel_info handshake that opening starts
    // is skipped (the extension host's own connection to the kernel has done it).
    const requestKernelInfo = k.requestKernelInfo.bind(k);
    k.requestKernelInfo = () => {
      k.requestKernelInfo = requestKernelInfo;
      return Promise.resolve();
    };
    socket.onopen({ target: socket });
    k.requestKernelInfo = requestKernelInfo;
    return k;
  }

  const scriptLoader = {
    widgetsRegisteredInRequireJs: new Set(),
    loadWidgetScript(moduleName, moduleVersion) {
      return new Promise((resolve) => {
        pendingScripts.set(moduleName, resolve);
        post('script-request', { moduleName, moduleVersion });
      });
    },
    successHandler(className, moduleName, moduleVersion) {
      loaded.push({ className, moduleName, moduleVersion });
    },
    errorHandler(className, moduleName, moduleVersion, error) {
      failed.push({ className, moduleName, moduleVersion, error: String(error) });
    },
  };

  let requireMapped = false;
  function registerScript({ moduleName, scriptUri }) {
    if (!requireMapped) {
      window.requirejs.config({ map: { '*': { 'jupyter-js-widgets': '@jupyter-widgets/base' } } });
      requireMapped = true;
    }
    if (scriptUri) {
      const path = scriptUri.toLowerCase().endsWith('.js') ? scriptUri.slice(0, -3) : scriptUri;
      window.requirejs.config({ paths: { [moduleName]: path } });
      scriptLoader.widgetsRegisteredInRequireJs.add(moduleName);
    }
    const resolve = pendingScripts.get(moduleName);
    pendingScripts.delete(moduleName);
    if (resolve) resolve();
  }

  // What VS Code's widget renderer does with an output's widget-view data.
  async function renderWidget(data, el) {
    if (!data || data.version_major !== 2) throw new Error('not an ipywidgets 8 view');
    const model = await manager.get_model(data.model_id);
    const view = await manager.create_view(model, { el });
    const widget = await manager.display_view(data, view, { node: el });
    views.push(view);
    return widget;
  }

  globalThis.vscodeHost = {
    outbox,
    loaded,
    failed,
    log,
    views,
    renderError: null,
    // The kernel options the extension host sends (`IPyWidgets_kernelOptions` in VS Code).
    start(options) {
      window.vscIPyWidgets8.load();
      kernel = createKernel(options);
      const { WidgetManager } = window.vscIPyWidgets;
      manager = new WidgetManager(kernel, document.getElementById('widgets'), scriptLoader,
                                  (message) => log.push(message));
      this.kernel = kernel;
      this.manager = manager;
      return kernel.connectionStatus;
    },
    receive(message) {
      if (message.type === 'ws') {
        socket.onmessage({ target: socket, data: message.payload, type: 'message' });
      } else if (message.type === 'script-source') {
        registerScript(message.payload);
      } else {
        throw new Error(`unknown host message ${message.type}`);
      }
      return 0;
    },
    // Starts rendering an output (the host keeps relaying while it loads); sets renderError on failure.
    // The output element is built as VS Code's renderer builds it for a widget output.
    render(data, containerId) {
      const container = document.getElementById(containerId);
      const ele = document.createElement('div');
      ele.className = 'cell-output-ipywidget-background';
      const output = document.createElement('div');
      output.className = 'cell-output cell-output';
      container.appendChild(ele);
      ele.appendChild(output);
      renderWidget(data, ele).catch((e) => {
        this.renderError = String(e && e.stack ? e.stack : e);
      });
      return 0;
    },
  };
})();
