// Test-only helper: every 250 ms, write what Prompt Salience shows (its exported API: results,
// comparisons, work, test items), the hover the language server gives over a front-matter value
// and the open diff editors' two sides to $PS_E2E_STATE, for the e2e test.
// It also carries out requests the test drops in $PS_E2E_STATE.request.json, e.g. a change of
// a user setting ({"id": 1, "setting": "promptSalience.intensity", "value": 0.8}).
const fs = require('fs');
const vscode = require('vscode');

function activate(context) {
  const file = process.env.PS_E2E_STATE;
  if (!file) {
    return;
  }
  const main = vscode.extensions.getExtension('prompt-salience.prompt-salience');
  let busy = false;
  const hovers = new Map(); // one hover request per result shown
  let done = 0; // the id of the last request carried out
  const carryOut = async () => {
    let request;
    try {
      request = JSON.parse(fs.readFileSync(`${file}.request.json`, 'utf8'));
    } catch {
      return;
    }
    if (request.id <= done) {
      return;
    }
    const dot = request.setting.indexOf('.');
    await vscode.workspace
      .getConfiguration(request.setting.slice(0, dot))
      .update(request.setting.slice(dot + 1), request.value, vscode.ConfigurationTarget.Global);
    done = request.id;
  };
  const timer = setInterval(async () => {
    if (busy || !main) {
      return;
    }
    busy = true;
    try {
      await carryOut();
      const api = main.isActive ? main.exports : await main.activate();
      const documents = vscode.workspace.textDocuments.filter((d) => d.uri.path.endsWith('.prompt'));
      const shown = [];
      for (const document of documents) {
        const result = api.shown(document.uri.toString());
        let hover = null;
        const valueLine = document.getText().split('\n').findIndex((line) => line.includes('menu_item: Quiche Lorraine'));
        const key = result && JSON.stringify([document.version, result.version, result.method, result.granularity, result.span]);
        if (result && valueLine >= 0 && !hovers.has(key)) {
          const character = document.lineAt(valueLine).text.indexOf('Quiche') + 2;
          const answer = await vscode.commands.executeCommand('vscode.executeHoverProvider', document.uri, new vscode.Position(valueLine, character));
          hovers.set(key, (answer || []).flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n'));
        }
        hover = result ? hovers.get(key) ?? null : null;
        shown.push({
          uri: document.uri.toString(),
          version: document.version,
          dirty: document.isDirty,
          result: result ? {
            case: result.case,
            version: result.version,
            method: result.method,
            granularity: result.granularity,
            span: result.span,
            spanText: result.spanText,
            response: result.response,
            model: result.model,
            segments: result.segments.length,
            intensity: result.scale.intensity,
            legend: result.scale.legend.map((e) => ({ bucket: e.bucket, colour: e.colour, themeColour: e.themeColour })),
          } : null,
          hover,
          comparison: (api.comparison && api.comparison(document.uri.toString())) || null,
          diagnostics: vscode.languages.getDiagnostics(document.uri).map((d) => ({ line: d.range.start.line, severity: d.severity, code: d.code ?? null, message: d.message })),
        });
      }
      // Diff editors: their title and the text of each side (documents they show are open).
      const textOf = (uri) => vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString())?.getText() ?? null;
      const diffs = vscode.window.tabGroups.all
        .flatMap((group) => group.tabs)
        .filter((tab) => tab.input instanceof vscode.TabInputTextDiff)
        .map((tab) => ({ label: tab.label, original: textOf(tab.input.original), modified: textOf(tab.input.modified) }));
      const testItems = api.testItems();
      const state = { time: Date.now(), trusted: vscode.workspace.isTrusted, done, serverState: api.serverState(), serverStarts: api.serverStarts(), history: api.history, shown, diffs, testItems };
      fs.writeFileSync(`${file}.tmp`, JSON.stringify(state, null, 1));
      fs.renameSync(`${file}.tmp`, file);
    } catch (error) {
      fs.writeFileSync(`${file}.error`, String(error && error.stack || error));
    } finally {
      busy = false;
    }
  }, 250);
  context.subscriptions.push({ dispose: () => clearInterval(timer) });
}

module.exports = { activate, deactivate() {} };
