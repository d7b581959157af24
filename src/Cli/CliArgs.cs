using System.Globalization;

namespace Interp.Cli;

/// <summary>A user mistake on the command line or in a named file: Program prints "interp: message" and exits 1.</summary>
public sealed class CliError(string message) : Exception(message);

/// <summary>
/// The arguments of one verb: options that take a value (<c>--seed 3</c>), flags (<c>--quiet</c>) and positionals.
/// Everything unknown, missing or repeated is a <see cref="CliError"/> naming the command and the argument.
/// </summary>
public sealed class CliArgs
{
    readonly string command;
    readonly Dictionary<string, string> values = [];
    readonly HashSet<string> flagsSeen = [];
    readonly List<string> positionals = [];

    public bool HelpRequested { get; private set; }
    public IReadOnlyList<string> Positionals => positionals;

    CliArgs(string command) => this.command = command;

    /// <param name="command">as the user typed it, for messages: "interp heads"</param>
    /// <param name="options">names that take a value ("--model")</param>
    /// <param name="flags">names without a value ("--quiet")</param>
    public static CliArgs Parse(string command, string[] args, IEnumerable<string> options, IEnumerable<string>? flags = null)
    {
        var valued = options.ToHashSet();
        var bare = (flags ?? []).ToHashSet();
        var a = new CliArgs(command);
        for (int i = 0; i < args.Length; i++)
        {
            string arg = args[i];
            if (arg is "-h" or "--help") { a.HelpRequested = true; continue; }
            if (bare.Contains(arg))
            {
                if (!a.flagsSeen.Add(arg)) throw new CliError($"{command}: {arg} given twice");
                continue;
            }
            string name = arg;
            string? inline = null;
            int eq = arg.IndexOf('=');
            if (arg.StartsWith("--") && eq > 0) (name, inline) = (arg[..eq], arg[(eq + 1)..]);
            if (valued.Contains(name))
            {
                string? value = inline ?? (i + 1 < args.Length ? args[++i] : null);
                if (string.IsNullOrEmpty(value) || (inline is null && value.StartsWith("--")))
                    throw new CliError($"{command}: {name} needs a value (see {command} --help)");
                if (!a.values.TryAdd(name, value)) throw new CliError($"{command}: {name} given twice");
                continue;
            }
            if (arg.StartsWith('-') && arg.Length > 1 && !double.TryParse(arg, CultureInfo.InvariantCulture, out _))
                throw new CliError($"{command}: unknown option '{arg}' (see {command} --help)");
            a.positionals.Add(arg);
        }
        return a;
    }

    public bool Has(string name) => flagsSeen.Contains(name) || values.ContainsKey(name);

    public string? Get(string name) => values.GetValueOrDefault(name);

    public string Get(string name, string fallback) => values.GetValueOrDefault(name) ?? fallback;

    public int GetInt(string name, int fallback, int min = int.MinValue)
    {
        if (!values.TryGetValue(name, out string? text)) return fallback;
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v))
            throw new CliError($"{command}: {name} needs an integer, got '{text}'");
        if (v < min) throw new CliError($"{command}: {name} must be at least {min}, got {v}");
        return v;
    }

    public double GetDouble(string name, double fallback)
    {
        if (!values.TryGetValue(name, out string? text)) return fallback;
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !double.IsFinite(v))
            throw new CliError($"{command}: {name} needs a number, got '{text}'");
        return v;
    }

    public ulong GetSeed(ulong fallback = 0)
    {
        if (!values.TryGetValue("--seed", out string? text)) return fallback;
        if (!ulong.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out ulong v))
            throw new CliError($"{command}: --seed needs a non-negative integer, got '{text}'");
        return v;
    }

    /// <summary><c>--device cpu|cuda|cuda:N|ilgpu-cpu</c>, default cpu.</summary>
    public Device GetDevice() => ParseDevice(command, Get("--device", "cpu"));

    /// <summary>A device named as <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>; a CliError naming <paramref name="command"/> otherwise.</summary>
    public static Device ParseDevice(string command, string text)
    {
        if (text == "cpu") return Device.Cpu;
        if (text == "ilgpu-cpu") return Device.IlgpuCpu;   // the GPU kernels on host threads: for tests without a GPU
        if (text == "cuda" || text.StartsWith("cuda:"))
        {
            int n = 0;
            if (text.Length > 4 && !int.TryParse(text[5..], out n)) throw new CliError($"{command}: --device: bad CUDA index in '{text}'");
            try { return Device.Cuda(n); }
            catch (Exception e) when (e is not CliError)
            {
                throw new CliError($"{command}: --device {text}: no usable CUDA device here ({e.Message}); use --device cpu");
            }
        }
        throw new CliError($"{command}: --device must be cpu or cuda, got '{text}'");
    }

    /// <summary>Fails when positionals were given to a verb that takes none.</summary>
    public CliArgs NoPositionals()
    {
        if (positionals.Count > 0) throw new CliError($"{command}: unexpected argument '{positionals[0]}' (see {command} --help)");
        return this;
    }
}
