using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace GeminiHooks.TestSupport;

/// <summary>
/// Headless Chromium (Debian's <c>chromium</c>, installed by scripts/test.sh) driven over the Chrome DevTools protocol:
/// a minimal client on <see cref="ClientWebSocket"/> with just what the dashboard test needs (navigate, evaluate,
/// click, screenshot). A fresh profile per instance; the browser is killed on dispose.
/// </summary>
public sealed class Chromium : IAsyncDisposable
{
    static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(20);

    readonly Process _process;
    readonly TempDirectory _profile;
    readonly ClientWebSocket _socket = new();
    readonly ConcurrentDictionary<int, TaskCompletionSource<JsonNode>> _pending = new();
    readonly CancellationTokenSource _stop = new();
    readonly ConcurrentQueue<string> _requested = new();
    Task _receiving = Task.CompletedTask;
    int _nextId;
    int _clicksSent;

    Chromium(Process process, TempDirectory profile)
    {
        _process = process;
        _profile = profile;
    }

    static readonly string[] Candidates = ["/usr/bin/chromium", "/usr/bin/chromium-browser"];

    public static string Executable =>
        Candidates.FirstOrDefault(File.Exists)
        ?? throw new InvalidOperationException("chromium is not installed; scripts/test.sh installs it (apt-get install chromium)");

    public static async Task<Chromium> LaunchAsync()
    {
        var profile = new TempDirectory();
        var start = new ProcessStartInfo(Executable,
        [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-dev-shm-usage", "--window-size=1280,900",
            "--user-data-dir=" + profile.Path, "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
            "about:blank",
        ])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var process = Process.Start(start)!;
        // Drain the pipes so a chatty browser never blocks on a full one.
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var browser = new Chromium(process, profile);
        try
        {
            await browser.ConnectAsync();
            return browser;
        }
        catch
        {
            await browser.DisposeAsync();
            throw;
        }
    }

    async Task ConnectAsync()
    {
        // With port 0 the browser picks a free port and writes it to DevToolsActivePort in the profile.
        var portFile = Path.Combine(_profile.Path, "DevToolsActivePort");
        var port = await Eventually.FindAsync(() =>
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"chromium exited with code {_process.ExitCode} before listening");
            return Task.FromResult(File.Exists(portFile) && File.ReadAllLines(portFile) is [var first, ..] && first.Length > 0
                ? first.Trim()
                : null);
        }, "chromium opens its DevTools port", TimeSpan.FromSeconds(30));
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var targets = JsonNode.Parse(await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/json/list")))!.AsArray();
        var page = targets.First(t => (string?)t!["type"] == "page")!;
        await _socket.ConnectAsync(new Uri((string)page["webSocketDebuggerUrl"]!), _stop.Token);
        _receiving = Task.Run(ReceiveLoopAsync);
        await SendAsync("Page.enable");
        await SendAsync("Runtime.enable");
        await SendAsync("Network.enable");
    }

    async Task ReceiveLoopAsync()
    {
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var result = await _socket.ReceiveAsync(buffer, _stop.Token);
                if (result.MessageType == WebSocketMessageType.Close)
                    break;
                message.Write(buffer, 0, result.Count);
                if (!result.EndOfMessage)
                    continue;
                var node = JsonNode.Parse(message.GetBuffer().AsSpan(0, (int)message.Length))!;
                message.SetLength(0);
                // Of the events (no id), only the requests the page makes are kept; tests poll the page's state.
                if ((string?)node["method"] == "Network.requestWillBeSent" && (string?)node["params"]?["request"]?["url"] is { } url)
                    _requested.Enqueue(url);
                else if (node["id"] is { } id && _pending.TryRemove((int)id, out var waiter))
                {
                    if (node["error"] is { } error)
                        waiter.TrySetException(new InvalidOperationException("CDP error: " + error.ToJsonString()));
                    else
                        waiter.TrySetResult(node["result"] ?? new JsonObject());
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException) { }
        foreach (var waiter in _pending.Values)
            waiter.TrySetException(new InvalidOperationException("the DevTools connection closed"));
    }

    public async Task<JsonNode> SendAsync(string method, JsonObject? parameters = null)
    {
        var id = Interlocked.Increment(ref _nextId);
        var waiter = new TaskCompletionSource<JsonNode>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = waiter;
        var payload = new JsonObject { ["id"] = id, ["method"] = method, ["params"] = parameters ?? new JsonObject() };
        await _socket.SendAsync(Encoding.UTF8.GetBytes(payload.ToJsonString()), WebSocketMessageType.Text, true, _stop.Token);
        return await waiter.Task.WaitAsync(CommandTimeout);
    }

    /// <summary>Every URL the page requested since the browser started (navigation, scripts, styles, fetches, images).</summary>
    public IReadOnlyList<string> RequestedUrls => _requested.ToArray();

    public async Task NavigateAsync(string url)
    {
        await SendAsync("Page.navigate", new JsonObject { ["url"] = url });
        await WaitForAsync("document.readyState === 'complete'", TimeSpan.FromSeconds(15));
    }

    /// <summary>Evaluates a JavaScript expression in the page (promises awaited) and returns its JSON value.</summary>
    public async Task<JsonNode?> EvaluateAsync(string expression)
    {
        var answer = await SendAsync("Runtime.evaluate", new JsonObject
        {
            ["expression"] = expression,
            ["returnByValue"] = true,
            ["awaitPromise"] = true,
        });
        if (answer["exceptionDetails"] is { } exception)
            throw new InvalidOperationException("page script failed: " + exception.ToJsonString());
        return answer["result"]?["value"];
    }

    /// <summary>Polls until <paramref name="condition"/> is true in the page.</summary>
    public async Task WaitForAsync(string condition, TimeSpan timeout)
    {
        try
        {
            await Eventually.UntilAsync(async () => await EvaluateAsync($"!!({condition})") is JsonValue value && value.GetValue<bool>(),
                condition, timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"the page never satisfied: {condition}; page text: {await EvaluateAsync("document.body.innerText")}");
        }
    }

    /// <summary>
    /// A real mouse click (pressed and released) at the centre of the element <paramref name="selector"/> finds, once it
    /// can be clicked: shown (it has a box) and enabled. A click sent while its section was still hidden landed on
    /// nothing (the dashboard draws its event rows before it shows the section that holds them and the pager). One CI
    /// run's click on the shown, enabled pager still never reached it (most likely the page moved between measuring and
    /// clicking), so each click is checked to have reached its element, and sent again when it did not.
    /// </summary>
    public async Task ClickAsync(string selector)
    {
        var selectorJson = JsonSerializer.Serialize(selector);
        for (var attempt = 1; ; attempt++)
        {
            var mark = ++_clicksSent;
            await WaitForAsync($$"""
                (() => { const e = document.querySelector({{selectorJson}}); if (!e || e.disabled) return false;
                         const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0; })()
                """, TimeSpan.FromSeconds(30));
            // The mark is the page's, not the element's: a click that redraws the element still counts.
            var box = await EvaluateAsync($$"""
                (() => { const e = document.querySelector({{selectorJson}}); if (!e) return null;
                         e.addEventListener('click', () => { window.__testClick = {{mark}}; }, { once: true });
                         e.scrollIntoView({ block: 'center' }); const r = e.getBoundingClientRect();
                         return { x: r.left + r.width / 2, y: r.top + r.height / 2 }; })()
                """) ?? throw new InvalidOperationException("nothing in the page matches " + selector);
            foreach (var type in new[] { "mousePressed", "mouseReleased" })
                await SendAsync("Input.dispatchMouseEvent", new JsonObject
                {
                    ["type"] = type,
                    ["x"] = box["x"]!.GetValue<double>(),
                    ["y"] = box["y"]!.GetValue<double>(),
                    ["button"] = "left",
                    ["clickCount"] = 1,
                });
            try
            {
                await WaitForAsync($"window.__testClick === {mark}", TimeSpan.FromSeconds(2));
                return;
            }
            catch (TimeoutException) when (attempt < 3)
            {
                // Missed; measured and sent again.
            }
        }
    }

    public async Task ScreenshotAsync(string path)
    {
        var shot = await SendAsync("Page.captureScreenshot", new JsonObject { ["format"] = "png", ["captureBeyondViewport"] = true });
        await File.WriteAllBytesAsync(path, Convert.FromBase64String((string)shot["data"]!));
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try { await _receiving; } catch (Exception) { }
        _socket.Dispose();
        try
        {
            if (!_process.HasExited)
                _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        catch (InvalidOperationException) { }
        _process.Dispose();
        _stop.Dispose();
        _profile.Dispose();
    }
}
