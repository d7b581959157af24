using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Interp.Analysis.Plot;

namespace Interp.Tests;

/// <summary>
/// A page in headless Chromium driven through the DevTools protocol over a websocket: it opens a file, records every
/// console error, uncaught exception and failed load, evaluates JavaScript, moves the real mouse and takes
/// screenshots. One Chromium process per page, ended (by its id) on Dispose.
/// </summary>
public sealed partial class DevToolsPage : IDisposable
{
    static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    readonly Process chromium;
    readonly string profile;
    readonly ClientWebSocket socket = new();
    readonly ConcurrentDictionary<int, TaskCompletionSource<JsonNode>> pending = new();
    readonly ConcurrentQueue<string> errors = new();
    readonly TaskCompletionSource loaded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    int nextId;

    /// <summary>Console errors, uncaught exceptions and failed loads (a broken image) since the page opened.</summary>
    public IReadOnlyList<string> Errors => [.. errors];

    public static DevToolsPage Open(string htmlFile, int width = 1200, int height = 1600) => new(htmlFile, width, height);

    DevToolsPage(string htmlFile, int width, int height)
    {
        profile = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "interp-devtools-" + Guid.NewGuid().ToString("N"));
        var psi = new ProcessStartInfo(HeadlessChromium.Path ?? throw new InvalidOperationException(HeadlessChromium.SkipReason))
        {
            RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false,
        };
        foreach (string a in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-dev-shm-usage", "--hide-scrollbars",
                     "--remote-debugging-port=0", $"--user-data-dir={profile}", $"--window-size={width},{height}", "about:blank" })
            psi.ArgumentList.Add(a);
        chromium = Process.Start(psi)!;
        try
        {
            int port = DevToolsPort();
            socket.ConnectAsync(new Uri(PageSocketUrl(port)), CancellationToken.None).Wait(Timeout);
            _ = Task.Run(ReceiveLoop);
            foreach (string domain in new[] { "Runtime", "Log", "Page" }) Call($"{domain}.enable");
            Call("Page.navigate", new JsonObject { ["url"] = new Uri(System.IO.Path.GetFullPath(htmlFile)).AbsoluteUri });
            if (!loaded.Task.Wait(Timeout)) throw new TimeoutException($"Chromium did not finish loading {htmlFile}");
        }
        catch { Dispose(); throw; }
    }

    /// <summary>Evaluates a JavaScript expression in the page and returns its value as JSON.</summary>
    public JsonNode? Evaluate(string expression)
    {
        var result = Call("Runtime.evaluate", new JsonObject { ["expression"] = expression, ["returnByValue"] = true, ["awaitPromise"] = true });
        if (result["exceptionDetails"] is { } e) throw new InvalidOperationException($"JavaScript failed: {e.ToJsonString()}");
        return result["result"]?["value"];
    }

    /// <summary>Moves the mouse to (x, y) in the viewport, as a user would: the page sees mousemove events.</summary>
    public void MoveMouse(double x, double y) =>
        Call("Input.dispatchMouseEvent", new JsonObject { ["type"] = "mouseMoved", ["x"] = x, ["y"] = y });

    /// <summary>A screenshot of the viewport, or of a rectangle of the page (page coordinates).</summary>
    public RgbImage Screenshot((double X, double Y, double W, double H)? clip = null)
    {
        var args = new JsonObject { ["format"] = "png" };
        if (clip is { } c)
        {
            args["clip"] = new JsonObject { ["x"] = c.X, ["y"] = c.Y, ["width"] = c.W, ["height"] = c.H, ["scale"] = 1 };
            args["captureBeyondViewport"] = true;
        }
        return Png.Decode(Convert.FromBase64String(Call("Page.captureScreenshot", args)["data"]!.GetValue<string>()));
    }

    JsonNode Call(string method, JsonObject? parameters = null)
    {
        int id = Interlocked.Increment(ref nextId);
        var reply = new TaskCompletionSource<JsonNode>(TaskCreationOptions.RunContinuationsAsynchronously);
        pending[id] = reply;
        var message = new JsonObject { ["id"] = id, ["method"] = method, ["params"] = parameters ?? new JsonObject() };
        socket.SendAsync(Encoding.UTF8.GetBytes(message.ToJsonString()), WebSocketMessageType.Text, true, CancellationToken.None).Wait(Timeout);
        if (!reply.Task.Wait(Timeout)) throw new TimeoutException($"DevTools: no answer to {method}");
        var answer = reply.Task.Result;
        if (answer["error"] is { } error) throw new InvalidOperationException($"DevTools {method}: {error.ToJsonString()}");
        return answer["result"] ?? new JsonObject();
    }

    async Task ReceiveLoop()
    {
        var buffer = new byte[1 << 16];
        var message = new MemoryStream();
        try
        {
            while (socket.State == WebSocketState.Open)
            {
                var part = await socket.ReceiveAsync(buffer, CancellationToken.None);
                if (part.MessageType == WebSocketMessageType.Close) break;
                message.Write(buffer, 0, part.Count);
                if (!part.EndOfMessage) continue;
                Dispatch(JsonNode.Parse(message.ToArray())!);
                message.SetLength(0);
            }
        }
        catch (Exception e) when (e is WebSocketException or ObjectDisposedException or OperationCanceledException) { }
    }

    void Dispatch(JsonNode m)
    {
        if (m["id"] is { } id) { if (pending.TryRemove(id.GetValue<int>(), out var reply)) reply.TrySetResult(m); return; }
        var p = m["params"];
        string method = m["method"]?.GetValue<string>() ?? "";
        if (method == "Page.loadEventFired") loaded.TrySetResult();
        else if (method == "Runtime.exceptionThrown") errors.Enqueue("exception: " + p?["exceptionDetails"]?.ToJsonString());
        else if (method == "Runtime.consoleAPICalled" && p?["type"]?.GetValue<string>() is "error" or "assert")
            errors.Enqueue("console: " + p["args"]?.ToJsonString());
        else if (method == "Log.entryAdded" && p?["entry"]?["level"]?.GetValue<string>() == "error")
            errors.Enqueue("log: " + p["entry"]?["text"] + " " + p["entry"]?["url"]);
    }

    int DevToolsPort()
    {
        // Chromium prints "DevTools listening on ws://127.0.0.1:PORT/devtools/browser/..." on stderr
        var deadline = DateTime.UtcNow + Timeout;
        while (DateTime.UtcNow < deadline)
        {
            var line = chromium.StandardError.ReadLineAsync().WaitAsync(Timeout).GetAwaiter().GetResult()
                ?? throw new InvalidOperationException("Chromium exited before it opened the DevTools port");
            var m = ListeningLine().Match(line);
            if (!m.Success) continue;
            _ = chromium.StandardError.ReadToEndAsync();   // keep draining so Chromium never blocks on a full pipe
            return int.Parse(m.Groups[1].Value);
        }
        throw new TimeoutException("Chromium did not open the DevTools port");
    }

    static string PageSocketUrl(int port)
    {
        using var http = new HttpClient { Timeout = Timeout };
        var targets = JsonNode.Parse(http.GetStringAsync($"http://127.0.0.1:{port}/json/list").GetAwaiter().GetResult())!.AsArray();
        var page = targets.FirstOrDefault(t => t?["type"]?.GetValue<string>() == "page")
            ?? throw new InvalidOperationException($"Chromium has no page target: {targets.ToJsonString()}");
        return page["webSocketDebuggerUrl"]!.GetValue<string>();
    }

    public void Dispose()
    {
        try { if (socket.State == WebSocketState.Open) socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None).Wait(2000); }
        catch (Exception e) when (e is WebSocketException or AggregateException) { }
        socket.Dispose();
        if (!chromium.HasExited) chromium.Kill(entireProcessTree: true);
        chromium.WaitForExit(10_000);
        chromium.Dispose();
        try { Directory.Delete(profile, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    [GeneratedRegex(@"DevTools listening on ws://[^:]+:(\d+)/")]
    private static partial Regex ListeningLine();
}
