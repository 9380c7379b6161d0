using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace GeminiHooks.Cli.Emulator;

/// <summary>The emulator's stand-in for Google's API key check, on every Gemini-shaped route group.</summary>
internal static class ApiKeyFilter
{
    /// <summary>401 without a key (header <c>x-goog-api-key</c> or query <c>key</c>), 403 for a key other than <c>--api-key</c>.</summary>
    public static TBuilder RequireApiKey<TBuilder>(this TBuilder builder, EmulatorOptions options) where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(async (context, next) =>
        {
            var request = context.HttpContext.Request;
            var key = request.Headers["x-goog-api-key"].ToString();
            if (key.Length == 0)
                key = request.Query["key"].ToString();
            if (key.Length == 0)
                return GoogleError(401, "UNAUTHENTICATED", "Missing API key: send it in the x-goog-api-key header.");
            if (options.ApiKey is not null && key != options.ApiKey)
                return GoogleError(403, "PERMISSION_DENIED", "API key not valid for this emulator (see its --api-key).");
            return options.Faults.Take(request) ?? await next(context);
        });

    /// <summary>Google's error shape, so SDKs surface the message.</summary>
    public static IResult GoogleError(int code, string status, string message) =>
        Results.Json(new { error = new { code, message, status } }, statusCode: code);
}
