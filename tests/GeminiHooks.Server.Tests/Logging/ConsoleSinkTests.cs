using System.Diagnostics;
using System.Globalization;
using System.Text;
using Serilog.Events;
using Serilog.Formatting;
using Serilog.Formatting.Compact;
using Serilog.Formatting.Display;
using Serilog.Parsing;

namespace GeminiHooks.Server.Tests.Logging;

/// <summary>The console sink as the server configures it, writing to a real (and, for the pressure test, stalled) writer.</summary>
public class ConsoleSinkTests
{
    const string Hostile = "evil\u001b[2J\u001b]0;pwned\u0007\r\u009b31m\u007f";

    public static TheoryData<string> Formats => ["json", "text"];

    [Theory, MemberData(nameof(Formats))]
    public void Control_characters_in_any_value_are_escaped_and_only_line_ends_stay_raw(string format)
    {
        using var output = new StringWriter(CultureInfo.InvariantCulture);
        using (var sink = new BufferedConsoleSink(Formatter(format), output, BufferedConsoleSink.DefaultCapacity))
            sink.Emit(Event("Delivery {WebhookId} failed", ("WebhookId", Hostile), ("SourceContext", Hostile)));

        var written = output.ToString();
        Assert.Contains("evil", written, StringComparison.Ordinal);
        Assert.Contains("\\u001b[2J", written, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("\\u009b31m", written, StringComparison.OrdinalIgnoreCase);
        Assert.All(written.Where(char.IsControl), c => Assert.Equal('\n', c));
        if (format == "json") // a log shipper reads the original value back
            Assert.Equal(Hostile, System.Text.Json.JsonDocument.Parse(written).RootElement.GetProperty("WebhookId").GetString());
    }

    [Fact]
    public void A_full_queue_drops_and_counts_instead_of_blocking_and_reports_the_count_when_the_writer_catches_up()
    {
        using var stalled = new StalledWriter();
        using var sink = new BufferedConsoleSink(new CompactJsonFormatter(), stalled, capacity: 16);

        var clock = Stopwatch.StartNew();
        for (var i = 0; i < 2000; i++)
            sink.Emit(Event("Delivery {N}", ("N", i)));
        clock.Stop();
        // With a blocking sink the 17th event would wait for the stalled writer forever.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"emitting took {clock.Elapsed}");
        Assert.InRange(sink.Dropped, 2000 - 16 - 1000, 2000);

        stalled.Release();
        // Every drop is reported, in one warning line per catch-up of the writer.
        long Reported() => stalled.Text.Split('\n').Where(l => l.Contains("lines dropped", StringComparison.Ordinal)).Sum(l =>
        {
            using var json = System.Text.Json.JsonDocument.Parse(l);
            Assert.Equal("Warning", json.RootElement.GetProperty("@l").GetString());
            return json.RootElement.GetProperty("DroppedLines").GetInt64();
        });
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (Reported() != sink.Dropped)
        {
            Assert.True(DateTime.UtcNow < deadline, $"reported {Reported()} of {sink.Dropped} dropped lines");
            Thread.Sleep(20);
        }
    }

    static ITextFormatter Formatter(string format) => format == "json"
        ? new CompactJsonFormatter()
        : new MessageTemplateTextFormatter("[{Timestamp:HH:mm:ss} {Level:u3}] {SourceContext}: {Message:lj} {ClientAddress}{NewLine}{Exception}");

    static LogEvent Event(string template, params (string Name, object Value)[] properties) =>
        new(DateTimeOffset.Now, LogEventLevel.Information, null, new MessageTemplateParser().Parse(template),
            properties.Select(p => new LogEventProperty(p.Name, new ScalarValue(p.Value))));

    /// <summary>A stdout that does not take writes until released, like a full pipe nobody reads.</summary>
    sealed class StalledWriter : TextWriter
    {
        readonly ManualResetEventSlim _released = new();
        readonly StringBuilder _text = new();

        public override Encoding Encoding => Encoding.UTF8;
        public string Text { get { lock (_text) return _text.ToString(); } }

        public void Release() => _released.Set();

        public override void Write(string? value)
        {
            _released.Wait();
            lock (_text)
                _text.Append(value);
        }

        public override void Write(char value) => Write(value.ToString());

        protected override void Dispose(bool disposing)
        {
            _released.Set();
            if (disposing)
                _released.Dispose();
            base.Dispose(disposing);
        }
    }
}
