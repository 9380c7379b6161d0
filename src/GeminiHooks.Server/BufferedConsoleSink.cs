using System.Globalization;
using System.Threading.Channels;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting;

namespace GeminiHooks.Server;

/// <summary>
/// The production console sink: the same formatted lines as Serilog's console sink, in the same order, but written by
/// one background thread in batches. Serilog's console sink takes a lock and makes one write system call per event on
/// the request's thread; with one line per delivery that was about a tenth of the receiver's CPU under load. Here a
/// request only queues the event; every few milliseconds the writer formats whatever is queued and writes it to stdout
/// in one call.
/// A full queue makes requests wait (nothing is dropped); on shutdown the queue is drained before the process exits.
/// </summary>
sealed class BufferedConsoleSink : ILogEventSink, IDisposable
{
    const int GatherMilliseconds = 5;
    const int MaxBufferedChars = 256 * 1024;
    readonly ITextFormatter _formatter;
    readonly Channel<LogEvent> _events = Channel.CreateBounded<LogEvent>(
        new BoundedChannelOptions(16 * 1024) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    readonly Thread _writer;

    public BufferedConsoleSink(ITextFormatter formatter)
    {
        _formatter = formatter;
        _writer = new Thread(WriteLoop) { IsBackground = true, Name = "Console log writer" };
        _writer.Start();
    }

    public void Emit(LogEvent logEvent)
    {
        if (_events.Writer.TryWrite(logEvent))
            return;
        try
        {
            // Only when the writer is 16k events behind: wait for room rather than lose lines. The writer is a
            // dedicated thread, so blocking here cannot starve it (and Serilog's Emit is synchronous).
#pragma warning disable VSTHRD002
            _events.Writer.WriteAsync(logEvent).AsTask().GetAwaiter().GetResult();
#pragma warning restore VSTHRD002
        }
        catch (ChannelClosedException)
        {
            // Logged after the logger was disposed: Serilog drops those too.
        }
    }

    void WriteLoop()
    {
        var reader = _events.Reader;
        var buffer = new StringWriter(CultureInfo.InvariantCulture);
        // The writer is a dedicated thread, not a pool thread: blocking it while it waits for lines starves nobody.
#pragma warning disable VSTHRD002
        while (reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
#pragma warning restore VSTHRD002
        {
            // Let lines gather for a moment: one wake-up and one write per few milliseconds under load, instead of a
            // thread switch per line (which cost more than the writing itself).
            Thread.Sleep(GatherMilliseconds);
            while (reader.TryRead(out var logEvent))
            {
                try { _formatter.Format(logEvent, buffer); }
                catch (Exception e) when (e is FormatException or InvalidOperationException or ArgumentException) { }
                if (buffer.GetStringBuilder().Length >= MaxBufferedChars)
                    Flush(buffer);
            }
            Flush(buffer);
        }
    }

    static void Flush(StringWriter buffer)
    {
        var text = buffer.GetStringBuilder();
        if (text.Length == 0)
            return;
        try
        {
            Console.Out.Write(text.ToString());
        }
        catch (IOException)
        {
            // stdout is gone (closed pipe): as with Serilog's console sink, logging must not take the service down.
        }
        text.Clear();
    }

    public void Dispose()
    {
        _events.Writer.TryComplete();
        _writer.Join(TimeSpan.FromSeconds(5));
    }
}
