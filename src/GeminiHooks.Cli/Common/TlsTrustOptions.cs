using System.CommandLine;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace GeminiHooks.Cli.Common;

/// <summary>
/// <c>--cacert</c> and <c>--insecure</c>: how the CLI trusts a receiver whose certificate is not signed by a public CA
/// (a self-signed or internal-CA certificate on a test or staging receiver).
/// </summary>
internal sealed class TlsTrustOptions
{
    public Option<FileInfo?> CaCert { get; } = new("--cacert")
    {
        Description = "Trust the receiver's certificate if it chains to a CA certificate in this PEM file (instead of the system's CAs).",
    };

    public Option<bool> Insecure { get; } = new("--insecure", "-k")
    {
        Description = "Do not check the receiver's TLS certificate at all (testing only: anyone on the path could read and answer the deliveries).",
    };

    public void AddTo(Command command)
    {
        command.Options.Add(CaCert);
        command.Options.Add(Insecure);
    }

    /// <summary>Applies the parsed choice to <paramref name="handler"/>; without either option the system's trust is used.</summary>
    public void Apply(ParseResult parse, SocketsHttpHandler handler)
    {
        var caFile = parse.GetValue(CaCert);
        var insecure = parse.GetValue(Insecure);
        if (caFile is not null && insecure)
            throw new CliException("use either --cacert or --insecure, not both.");
        if (insecure)
        {
            // Deliberate: --insecure is the operator's explicit request to skip the check (like curl -k).
#pragma warning disable CA5359
            handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
#pragma warning restore CA5359
            return;
        }
        if (caFile is null)
            return;
        var roots = new X509Certificate2Collection();
        try
        {
            roots.ImportFromPemFile(caFile.FullName);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException)
        {
            throw new CliException($"--cacert '{caFile.FullName}': {e.Message}");
        }
        if (roots.Count == 0)
            throw new CliException($"--cacert '{caFile.FullName}' holds no PEM certificate.");
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
        {
            // The host name must still match; only the chain is judged against the given CAs instead of the system's.
            if (certificate is null || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != SslPolicyErrors.None)
                return false;
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.AddRange(roots);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            return chain.Build(new X509Certificate2(certificate));
        };
    }
}
