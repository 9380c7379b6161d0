using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace GeminiHooks.Cli.Emulator;

/// <summary>The emulator's stand-in for Google's API key check, on every Gemini-shaped route group.</summary>
internal static class ApiKeyFilter
{
    /// <summary>
    /// Logs each API call (method and path, so one sees which API version a client uses), then answers 401 without a key
    /// (header <c>x-goog-api-key</c> or query <c>key</c>) and 403 for a key other than <c>--api-key</c>, as Gemini does;
    /// an armed fault (<see cref="ApiFaults"/>) answers next.
    /// </summary>
    public static TBuilder RequireApiKey<TBuilder>(this TBuilder builder, EmulatorOptions options, TextWriter log) where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(async (context, next) =>
        {
            var request = context.HttpContext.Request;
            await log.WriteLineAsync($"api: {request.Method} {request.Path}");
            var key = request.Headers["x-goog-api-key"].ToString();
            if (key.Length == 0)
                key = request.Query["key"].ToString();
            if (key.Length == 0)
                return GoogleErrors.Error(StatusCodes.Status401Unauthorized, "UNAUTHENTICATED", "Missing API key: send it in the x-goog-api-key header.");
            if (options.ApiKey is not null && key != options.ApiKey)
                return GoogleErrors.Error(StatusCodes.Status403Forbidden, "PERMISSION_DENIED", "API key not valid for this emulator (see its --api-key).");
            return options.Faults.Take(request) ?? await next(context);
        });
}
