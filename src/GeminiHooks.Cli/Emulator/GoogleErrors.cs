using Microsoft.AspNetCore.Http;

namespace GeminiHooks.Cli.Emulator;

/// <summary>
/// The emulator's only error writer: Google's error shape (<c>{"error": {"code", "message", "status"}}</c>), so the
/// SDKs surface the message as they do for Gemini's own errors.
/// </summary>
internal static class GoogleErrors
{
    public static IResult Error(int code, string status, string message) =>
        Results.Json(new { error = new { code, message, status } }, statusCode: code);

    public static IResult InvalidArgument(string message) => Error(StatusCodes.Status400BadRequest, "INVALID_ARGUMENT", message);

    public static IResult NotFound(string message) => Error(StatusCodes.Status404NotFound, "NOT_FOUND", message);
}
