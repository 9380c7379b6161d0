using System.Globalization;
using System.Text;
using System.Threading.Channels;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting;
using Serilog.Parsing;

namespace GeminiHooks.Server;

/// <summary>
/// The console sink: the same formatted lines as Serilog's console sink, in the same order, but written by one
/// background thread in batches, with control characters escaped (<see cref="ControlCharacterEscaping"/>). Serilog's
/// console sink takes a lock and makes one write system call per event on the request's thread; with one line per
/// delivery that was about a tenth of the receiver's CPU under load. Here a request only queues the event; every few
/// milliseconds the writer formats whatever is queued and writes it to stdout through a buffer of its own
/// (<see cref="StandardOutput"/>).
/// A full queue (stdout slower than the service, a stalled pipe) never makes a request wait: the event is dropped and
/// counted, and the writer reports the count in a warning line once it catches up. On shutdown the queue is drained.
/// </summary>
sealed class BufferedConsoleSink : ILogEventSink, IDisposable
{
    public const int DefaultCapacity = 16 * 1024;
    const int GatherMilliseconds = 5;
    const int MaxBufferedChars = 256 * 1024;
    static readonly MessageTemplate DroppedTemplate = new MessageTemplateParser().Parse(
        "Console log queue full: {DroppedLines} lines dropped since the last report (stdout is slower than the service)");

    readonly ITextFormatter _formatter;
    readonly TextWriter _output;
    readonly Channel<LogEvent> _events;
    readonly Thread _writer;
    long _dropped;
    long _reported;
    volatile bool _disposed;

    public BufferedConsoleSink(ITextFormatter formatter) : this(formatter, StandardOutput(), DefaultCapacity)
    {
    }

    /// <summary>
    /// stdout with a 64 KB buffer, flushed once per batch. <c>Console.Out</c> flushes its 256-character buffer on every
    /// write, so a batch went out as one system call per 256 characters: 2.3 per delivery's line under load, where
    /// this makes 0.01 (measured in bench/results.md).
    /// </summary>
    static StreamWriter StandardOutput() =>
        new(Console.OpenStandardOutput(), new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), 64 * 1024) { AutoFlush = false };

    /// <summary>For tests: another output (a slow one) and a smaller queue.</summary>
    internal BufferedConsoleSink(ITextFormatter formatter, TextWriter output, int capacity)
    {
        _formatter = formatter;
        _output = output;
        _events = Channel.CreateBounded<LogEvent>(
            new BoundedChannelOptions(capacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        _writer = new Thread(WriteLoop) { IsBackground = true, Name = "Console log writer" };
        _writer.Start();
    }

    /// <summary>Events dropped because the queue was full, since the start.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    public void Emit(LogEvent logEvent)
    {
        // Logging after the logger was disposed fails the write too: Serilog drops those, and so does this.
        if (!_events.Writer.TryWrite(logEvent) && !_disposed)
            Interlocked.Increment(ref _dropped);
    }

    void WriteLoop()
    {
        var reader = _events.Reader;
        var formatted = new StringWriter(CultureInfo.InvariantCulture);
        var buffer = new StringBuilder();
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
                Format(logEvent, formatted, buffer);
                if (buffer.Length >= MaxBufferedChars)
                    Flush(buffer);
            }
            ReportDropped(formatted, buffer);
            Flush(buffer);
        }
        ReportDropped(formatted, buffer);
        Flush(buffer);
    }

    void Format(LogEvent logEvent, StringWriter formatted, StringBuilder buffer)
    {
        var text = formatted.GetStringBuilder();
        text.Clear();
        try { _formatter.Format(logEvent, formatted); }
        catch (Exception e) when (e is FormatException or InvalidOperationException or ArgumentException) { return; }
        ControlCharacterEscaping.AppendEscaped(buffer, text);
    }

    /// <summary>Once the queue has drained: one warning line with the count of lines lost since the last one.</summary>
    void ReportDropped(StringWriter formatted, StringBuilder buffer)
    {
        var dropped = Interlocked.Read(ref _dropped);
        if (dropped == _reported)
            return;
        var lost = dropped - _reported;
        _reported = dropped;
        Format(new LogEvent(DateTimeOffset.Now, LogEventLevel.Warning, null, DroppedTemplate,
            [new LogEventProperty("DroppedLines", new ScalarValue(lost)),
             new LogEventProperty("SourceContext", new ScalarValue(typeof(BufferedConsoleSink).FullName))]), formatted, buffer);
    }

    void Flush(StringBuilder buffer)
    {
        if (buffer.Length == 0)
            return;
        try
        {
            _output.Write(buffer); // chunk by chunk: no copy of the whole batch as one string
            _output.Flush();
        }
        catch (IOException)
        {
            // stdout is gone (closed pipe): as with Serilog's console sink, logging must not take the service down.
        }
        buffer.Clear();
    }

    public void Dispose()
    {
        _disposed = true;
        _events.Writer.TryComplete();
        _writer.Join(TimeSpan.FromSeconds(5));
    }
}
