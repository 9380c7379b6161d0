using System.Globalization;
using GeminiHooks.Bench.Load;

// The load bench's helper; bench/run.sh drives it. Each command is small and prints what run.sh parses.
//   keys    --out DIR                                   secret, RSA and Ed25519 keys, and the public jwks.json
//   gen     --scenario static|v1a|jwt --keys DIR --count N --threads T --out PREFIX [--tag TAG]
//           writes PREFIX.<thread>.tsv, one signed delivery a line, for deliveries.lua
//   jwks    --file jwks.json --port P                   serves the JWKS on 127.0.0.1 until killed
//   monitor --db FILE --jsonl FILE --done MARKER [--interval-ms 250] [--drain-timeout-s 120]
//           samples the dispatch backlog during and after a load; prints a summary line
//   count   --db FILE                                   events stored, pairs pending
//   probe   --mode latency|retry --url URL --keys DIR [--port P] [--count N] [--interval-ms I] [--log FILE]
//           times accept -> handler start, or a retry's due time -> its run, on an idle service (DispatchProbe.cs)
//   search  --provider Sqlite|Postgres --connection CS [--events 1000000] [--samples 200] [--replay-page 200]
//           fills a store with N events, times searches and a bulk replay through the store API (SearchBench.cs)
var arguments = Arguments.Parse(args.Skip(1));
try
{
    return args.FirstOrDefault() switch
    {
        "keys" => KeyMaterial.Write(arguments.Required("out")),
        "gen" => await DeliveryFiles.GenerateAsync(arguments),
        "jwks" => await JwksServer.RunAsync(arguments.Required("file"), int.Parse(arguments.Required("port"), CultureInfo.InvariantCulture)),
        "monitor" => await BacklogMonitor.RunAsync(arguments),
        "count" => BacklogMonitor.Count(arguments.Required("db")),
        "probe" => await DispatchProbe.RunAsync(arguments),
        "search" => await SearchBench.RunAsync(arguments),
        _ => Usage(),
    };
}
catch (ArgumentException e)
{
    await Console.Error.WriteLineAsync("bench-load: " + e.Message);
    return 2;
}

static int Usage()
{
    Console.Error.WriteLine("usage: GeminiHooks.Bench.Load keys|gen|jwks|monitor|count|probe|search [--option value ...] (see Program.cs)");
    return 2;
}

namespace GeminiHooks.Bench.Load
{
    /// <summary><c>--name value</c> pairs; the bench tool has no need for more.</summary>
    sealed class Arguments
    {
        readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);

        public static Arguments Parse(IEnumerable<string> args)
        {
            var parsed = new Arguments();
            using var e = args.GetEnumerator();
            while (e.MoveNext())
            {
                var name = e.Current;
                if (!name.StartsWith("--", StringComparison.Ordinal) || !e.MoveNext())
                    throw new ArgumentException("expected --name value pairs");
                parsed._values[name[2..]] = e.Current;
            }
            return parsed;
        }

        public string Required(string name) =>
            _values.TryGetValue(name, out var value) ? value : throw new ArgumentException($"--{name} is required");

        public string Optional(string name, string fallback) => _values.GetValueOrDefault(name, fallback);

        public int Int(string name, int fallback) =>
            _values.TryGetValue(name, out var value) ? int.Parse(value, CultureInfo.InvariantCulture) : fallback;
    }
}
