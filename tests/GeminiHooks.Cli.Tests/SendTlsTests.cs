using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using GeminiHooks.Cli.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace GeminiHooks.Cli.Tests;

/// <summary><c>send</c> to a receiver with a self-signed certificate: refused by default, trusted with --cacert or --insecure.</summary>
public sealed class SendTlsTests : IAsyncLifetime
{
    readonly string _dir = Directory.CreateTempSubdirectory("geminihooks-cli-tls-").FullName;
    WebApplication _app = null!;
    string _url = "";
    int _received;

    static X509Certificate2 SelfSigned(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
    }

    public async Task InitializeAsync()
    {
        var certificate = SelfSigned("geminihooks-test-receiver");
        await File.WriteAllTextAsync(Path.Combine(_dir, "receiver.pem"), certificate.ExportCertificatePem());
        using var other = SelfSigned("someone-else");
        await File.WriteAllTextAsync(Path.Combine(_dir, "other.pem"), other.ExportCertificatePem());
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0, listen => listen.UseHttps(certificate)));
        _app = builder.Build();
        _app.MapPost("/hook", () =>
        {
            Interlocked.Increment(ref _received);
            return Results.Ok();
        });
        await _app.StartAsync();
        _url = new Uri(new Uri(_app.Urls.First().Replace("[::1]", "127.0.0.1", StringComparison.Ordinal)), "/hook").ToString();
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    Task<CliRunner.Result> Send(params string[] extra) =>
        CliRunner.RunAsync(["send", "--url", _url, "--secret", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "--timeout", "00:00:05", .. extra]);

    [Fact]
    public async Task The_receiver_certificate_is_refused_by_default_and_trusted_with_cacert_or_insecure()
    {
        var plain = await Send();
        Assert.NotEqual(0, plain.ExitCode);
        var wrongCa = await Send("--cacert", Path.Combine(_dir, "other.pem"));
        Assert.NotEqual(0, wrongCa.ExitCode);
        Assert.Equal(0, Volatile.Read(ref _received));

        var trusted = await Send("--cacert", Path.Combine(_dir, "receiver.pem"));
        Assert.True(trusted.ExitCode == 0, trusted.ToString());
        var insecure = await Send("--insecure");
        Assert.True(insecure.ExitCode == 0, insecure.ToString());
        Assert.Equal(2, Volatile.Read(ref _received));

        var both = await Send("--insecure", "--cacert", Path.Combine(_dir, "receiver.pem"));
        Assert.NotEqual(0, both.ExitCode);
        Assert.Contains("not both", both.Err, StringComparison.Ordinal);
    }
}
