using System.CommandLine;
using GeminiHooks.Cli.Binding;
using GeminiHooks.Cli.Common;
using GeminiHooks.Cli.Emulator;
using GeminiHooks.Cli.Events;
using GeminiHooks.Cli.Handlers;
using GeminiHooks.Cli.Jobs;
using GeminiHooks.Cli.Keys;
using GeminiHooks.Cli.Send;
using GeminiHooks.Cli.Webhooks;

namespace GeminiHooks.Cli;

public static class Program
{
    public static Task<int> Main(string[] args) => RunAsync(args, Console.Out, Console.Error);

    /// <summary>
    /// The whole CLI, with its output streams as parameters so tests run commands in-process.
    /// Cancelling <paramref name="cancellationToken"/> (or Ctrl+C) stops long-running commands (serve, emulate).
    /// </summary>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        var io = new CliIo(output, error);
        var root = new RootCommand(
            "geminihooks: test and operate Gemini API webhooks.\n" +
            "Send signed deliveries to a receiver, manage registered webhooks, generate keys, track jobs for reconciliation, and run a local Gemini emulator.")
        {
            SendCommand.Create(io),
            KeysCommand.Create(io),
            WebhooksCommand.Create(io),
            EmulateCommand.Create(io),
            DynamicConfigCommand.Create(io),
            JobsCommand.CreateTrack(io),
            JobsCommand.CreateJobs(io),
            Artifacts.ArtifactsCommand.Create(io),
            EventsCommand.Create(io),
            HandlersCommand.Create(io),
        };
        var parse = root.Parse(args);
        try
        {
            return await parse.InvokeAsync(new InvocationConfiguration
            {
                Output = output,
                Error = error,
                // Our own handlers below turn expected failures into one readable line instead of a stack trace.
                EnableDefaultExceptionHandler = false,
            }, cancellationToken);
        }
        catch (CliException e)
        {
            await error.WriteLineAsync("error: " + e.Message);
            return 1;
        }
        catch (HttpRequestException e)
        {
            await error.WriteLineAsync($"error: HTTP request failed: {e.Message} (is the URL right and the server running?)");
            return 1;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            await error.WriteLineAsync($"error: {e.Message}");
            return 1;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return 130;
        }
    }
}
