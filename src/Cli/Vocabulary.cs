using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Interp.IO;

namespace Interp.Cli;

/// <summary>
/// The options every verb spells the same way (--model, --out, --device, --seed, --steps, --lr, --quiet) and the typed
/// options the verbs build theirs from. A value out of range is a parse error naming the option, in one line.
/// </summary>
public static class Vocabulary
{
    public static Option<string> Model(string description, string? fallback = null, bool required = false) =>
        Text("--model", required ? description + " (required)" : description, fallback);

    /// <summary>
    /// The value of an option the verb cannot run without. Checked here, not by the parser, so that --help answers
    /// without it while a bad value beside --help is still refused.
    /// </summary>
    public static T Required<T>(ParseResult r, Option<T> option) where T : class => r.GetValue(option) ?? throw new CliError($"{option.Name} is required");

    public static Option<string> Out(string fallback, string description = "output folder") => Text("--out", description, fallback);

    public static Option<Device> Device() => new("--device")
    {
        Description = "cpu, cuda or cuda:N (the N-th GPU)", HelpName = "cpu|cuda", DefaultValueFactory = _ => Interp.Device.Cpu,
        CustomParser = r =>
        {
            try { return ParseDevice(r.Tokens[0].Value); }
            catch (CliError e) { r.AddError(e.Message); return Interp.Device.Cpu; }
        },
    };

    public static Option<ulong> Seed(string description = "seed") => new("--seed")
    {
        Description = description, DefaultValueFactory = _ => 0,
        CustomParser = r => ulong.TryParse(r.Tokens[0].Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out ulong v) ? v
            : Fail<ulong>(r, $"--seed needs a non-negative integer, got '{r.Tokens[0].Value}'"),
    };

    public static Option<int> Steps(int fallback, string description = "optimizer steps", int min = 1) => Int("--steps", fallback, description, min);

    public static Option<double> Lr(double fallback, string description = "learning rate") => Double("--lr", fallback, description, positive: true);

    public static Option<bool> Quiet() => Flag("--quiet", "no progress lines");

    public static Option<bool> Flag(string name, string description) => new(name) { Description = description, Arity = ArgumentArity.Zero };

    public static Option<string> Text(string name, string description, string? fallback = null)
    {
        var option = new Option<string>(name) { Description = description };
        if (fallback is not null) option.DefaultValueFactory = _ => fallback;
        return option;
    }

    public static Option<int> Int(string name, int fallback, string description, int min = int.MinValue) => new(name)
    {
        Description = description, DefaultValueFactory = _ => fallback, CustomParser = r => ParseInt(r, name, min),
    };

    /// <summary>An integer option without a default (null when not given).</summary>
    public static Option<int?> MaybeInt(string name, string description, int min = int.MinValue) => new(name)
    {
        Description = description, CustomParser = r => ParseInt(r, name, min),
    };

    public static Option<double> Double(string name, double fallback, string description, bool positive = false, double min = double.NegativeInfinity) => new(name)
    {
        Description = description, DefaultValueFactory = _ => fallback,
        CustomParser = r =>
        {
            string text = r.Tokens[0].Value;
            if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !double.IsFinite(v))
                return Fail<double>(r, $"{name} needs a number, got '{text}'");
            if (positive && !(v > 0)) return Fail<double>(r, $"{name} must be positive, got {text}");
            return v >= min ? v : Fail<double>(r, $"{name} must be >= {min}, got {text}");
        },
    };

    /// <summary>One of <paramref name="values"/>.</summary>
    public static Option<string> Choice(string name, string fallback, string description, params string[] values)
    {
        var option = new Option<string>(name) { Description = description, DefaultValueFactory = _ => fallback, HelpName = string.Join('|', values) };
        option.Validators.Add(r =>
        {
            string? v = r.GetValueOrDefault<string>();
            if (!values.Contains(v)) r.AddError($"{name} must be {string.Join(", ", values[..^1])} or {values[^1]}, got '{v}'");
        });
        return option;
    }

    /// <summary>A device named as cpu, cuda, cuda:N or ilgpu-cpu (the GPU kernels on host threads, for tests without a GPU).</summary>
    public static Device ParseDevice(string text)
    {
        if (text == "cpu") return Interp.Device.Cpu;
        if (text == "ilgpu-cpu") return Interp.Device.IlgpuCpu;
        if (text == "cuda" || text.StartsWith("cuda:"))
        {
            int n = 0;
            if (text.Length > 4 && !int.TryParse(text[5..], out n)) throw new CliError($"--device: bad CUDA index in '{text}'");
            try { return Interp.Device.Cuda(n); }
            catch (Exception e) when (e is not CliError)
            {
                throw new CliError($"--device {text}: no usable CUDA device here ({e.Message.Split('\n')[0]}); use --device cpu");
            }
        }
        throw new CliError($"--device must be cpu or cuda, got '{text}'");
    }

    public static Option<bool> DetectAnomaly() =>
        Flag("--detect-anomaly", "check every op's output for NaN/Inf and stop at the first, naming the op and the hook point (slower)");

    /// <summary>Anomaly mode for the rest of the verb when <paramref name="on"/> (dispose to end it), else null.</summary>
    public static IDisposable? AnomalyMode(bool on) => on ? Interp.Autograd.Anomaly.Enable() : null;

    /// <summary>
    /// Creates the folder and writes and removes a probe file in it now, so a verb refuses an output folder it cannot
    /// write before its work, not after it (a full disk there is the machine's failure: its IOException goes on).
    /// </summary>
    public static string Folder(string dir, string option = "--out")
    {
        string probe = Path.Combine(dir, $".interp-probe-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            Directory.CreateDirectory(dir);
            using (var f = new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose))
            {
                f.WriteByte(0);
                f.Flush(flushToDisk: true);
            }
        }
        catch (Exception e) when (e is UnauthorizedAccessException or ArgumentException or NotSupportedException
            || (e is IOException && !IsDiskFull(e)))
        {
            throw new CliError($"cannot write to the {option} folder '{dir}': {e.Message}");
        }
        return dir;
    }

    /// <summary>As <see cref="Folder"/> for an output file: its folder is created and probed (a device such as /dev/null is taken as it is).</summary>
    public static string OutFile(string path, string option = "--out")
    {
        if (AtomicFile.IsDevice(path)) return path;
        if (Directory.Exists(path)) throw new CliError($"{option} '{path}' is a folder; it needs a file name");
        Folder(Path.GetDirectoryName(Path.GetFullPath(path))!, option);
        return path;
    }

    static bool IsDiskFull(Exception e) => e.HResult == 28 || e.Message.Contains("No space left", StringComparison.Ordinal);   // ENOSPC

    static int ParseInt(ArgumentResult r, string name, int min)
    {
        string text = r.Tokens[0].Value;
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v)) return Fail<int>(r, $"{name} needs an integer, got '{text}'");
        return v >= min ? v : Fail<int>(r, $"{name} must be at least {min}, got {v}");
    }

    static T Fail<T>(ArgumentResult r, string message)
    {
        r.AddError(message);
        return default!;
    }
}
