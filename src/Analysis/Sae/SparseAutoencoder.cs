using Interp.Autograd;
using Interp.IO;
using Interp.Nn;

namespace Interp.Analysis.Sae;

/// <summary>
/// A sparse autoencoder with SAELens's parameters and definitions:
/// f = ReLU((x − b_dec)·W_enc + b_enc) (TopK: only the k largest pre-activations pass), x̂ = f·W_dec + b_dec,
/// W_enc [d_in, d_sae], W_dec [d_sae, d_in] (one row per feature, kept at unit norm), b_enc [d_sae], b_dec [d_in].
/// </summary>
public sealed class SparseAutoencoder : Module
{
    /// <summary>SAELens's file names; <see cref="OldWeightsFile"/> is what this library wrote before, still read.</summary>
    public const string WeightsFile = "sae_weights.safetensors";
    public const string ConfigFile = "cfg.json";
    public const string OldWeightsFile = "sae.safetensors";

    public SaeConfig Config { get; }
    public Tensor W_enc { get; }
    public Tensor W_dec { get; }
    public Tensor b_enc { get; }
    public Tensor b_dec { get; }

    /// <summary>
    /// SAELens's initialisation: W_dec rows uniform (Kaiming bound 1/√d_in) normalised to unit norm, W_enc = W_decᵀ,
    /// both biases zero (b_dec is usually set from data afterwards, see <see cref="InitializeDecoderBias"/>).
    /// </summary>
    public SparseAutoencoder(SaeConfig config, Generator? gen = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;
        var dt = config.DType;
        gen ??= new Generator(config.Seed);
        double bound = 1 / Math.Sqrt(config.DIn);
        var dec = Tensor.Uniform([config.DSae, config.DIn], -bound, bound, gen, dt);
        dec = dec / dec.Norm(2, 1, keepDim: true);
        W_enc = RegisterParameter("W_enc", dec.Transpose(0, 1).Contiguous());
        W_dec = RegisterParameter("W_dec", dec.Contiguous());
        b_enc = RegisterParameter("b_enc", Tensor.Zeros([config.DSae], dt));
        b_dec = RegisterParameter("b_dec", Tensor.Zeros([config.DIn], dt));
    }

    public int DIn => Config.DIn;
    public int DSae => Config.DSae;

    /// <summary>The pre-activations (x − b_dec)·W_enc + b_enc, [.., d_sae].</summary>
    public Tensor PreActivations(Tensor x)
    {
        CheckInput("encode", x);
        return (x - b_dec).MatMul(W_enc) + b_enc;
    }

    /// <summary>Feature activations f [.., d_sae] of inputs x [.., d_in].</summary>
    public Tensor Encode(Tensor x)
    {
        if (!Config.IsTopK)
        {   // one GEMM with the bias and ReLU in its epilogue: the pre-activations are never written out
            CheckInput("encode", x);
            return (x - b_dec).MatMulRelu(W_enc, b_enc);
        }
        var pre = PreActivations(x);
        // torch.topk + scatter of relu(values): the mask is a constant, so the gradient flows to the k kept entries only
        return pre.Relu() * TopK.Mask(pre.Detach(), Config.K);
    }

    /// <summary>Reconstruction x̂ = f·W_dec + b_dec.</summary>
    public Tensor Decode(Tensor f)
    {
        if (f.Rank == 0 || f.Size(-1) != DSae)
            throw new ArgumentException($"sae decode: expected feature activations [.., {DSae}], got {ShapeUtil.Format(f.ShapeArray)}");
        return f.MatMul(W_dec, b_dec);
    }

    /// <summary>x̂ for inputs x [.., d_in].</summary>
    public Tensor Forward(Tensor x) => Decode(Encode(x));

    /// <summary>
    /// The training loss of a batch x [batch, d_in]: SAELens's MSE term ‖x − x̂‖² (summed over d_in, mean over the
    /// batch) plus, for the standard SAE, l1_coefficient · Σ_i f_i ‖W_dec[i]‖ (mean over the batch).
    /// </summary>
    public SaeLoss Loss(Tensor x)
    {
        if (x.Rank != 2) throw new ArgumentException($"sae loss: expected a batch [batch, {DIn}], got {ShapeUtil.Format(x.ShapeArray)}");
        var f = Encode(x);
        var xHat = Decode(f);
        var mse = (xHat - x).Square().Sum(1).Mean();
        Tensor total = mse;
        Tensor? l1 = null;
        if (!Config.IsTopK && Config.L1Coefficient > 0)
        {
            l1 = (f * W_dec.Norm(2, 1)).Sum(1).Mean();
            total = mse + l1 * Config.L1Coefficient;
        }
        return new SaeLoss(total, mse, l1, f, xHat);
    }

    /// <summary>W_dec rows rescaled to unit L2 norm, in place (SAELens's set_decoder_norm_to_unit_norm).</summary>
    public void NormalizeDecoderRows()
    {
        using var _ = GradMode.NoGrad();
        Assign("W_dec", W_dec / W_dec.Norm(2, 1, keepDim: true).Clamp(min: 1e-12));
    }

    /// <summary>
    /// Removes from W_dec.Grad the component along each (unit) decoder row, g_i ← g_i − (g_i·d_i) d_i, so that the
    /// step moves rows only tangentially to the unit sphere (SAELens's remove_gradient_parallel_to_decoder_directions).
    /// </summary>
    public void RemoveGradientParallelToDecoderDirections()
    {
        if (W_dec.Grad is not { } g) return;
        using var _ = GradMode.NoGrad();
        var dec = W_dec.Detach();
        var parallel = (g * dec).Sum(1, keepDim: true);
        W_dec.Grad = (g - parallel * dec).Contiguous();
    }

    /// <summary>Sets b_dec (in place) to <paramref name="value"/> [d_in], e.g. the data mean or geometric median.</summary>
    public void InitializeDecoderBias(Tensor value)
    {
        if (value.Rank != 1 || value.Size(0) != DIn)
            throw new ArgumentException($"sae: decoder bias must be [{DIn}], got {ShapeUtil.Format(value.ShapeArray)}");
        Assign("b_dec", value.Detach().To(Config.DType).To(Device));
    }

    /// <summary>Replaces parameters by name in place (values are copied; the others are kept).</summary>
    public void Assign(params (string Name, Tensor Value)[] values) => Assign(values.ToDictionary(v => v.Name, v => v.Value));

    void Assign(string name, Tensor value) => Assign(new Dictionary<string, Tensor> { [name] = value });

    void Assign(Dictionary<string, Tensor> values)
    {
        var all = this.StateDict();
        foreach (var (name, v) in values)
        {
            if (!all.ContainsKey(name)) throw new ArgumentException($"sae: no parameter named '{name}' (W_enc, W_dec, b_enc, b_dec)");
            all[name] = v;
        }
        this.LoadStateDict(all);
    }

    /// <summary>Writes SAELens's layout, <paramref name="folder"/>/sae_weights.safetensors (W_enc, W_dec, b_enc, b_dec) and cfg.json, each atomically.</summary>
    public (string Weights, string Config) Save(string folder)
    {
        Directory.CreateDirectory(folder);
        string weights = Path.Combine(folder, WeightsFile), cfg = Path.Combine(folder, ConfigFile);
        this.SaveSafeTensors(weights);
        AtomicFile.WriteAllText(cfg, Config.ToJson());
        return (weights, cfg);
    }

    /// <summary>Loads a folder written by <see cref="Save"/> or by SAELens (cfg.json + sae_weights.safetensors), or an older one with sae.safetensors.</summary>
    public static SparseAutoencoder Load(string folder)
    {
        string cfgPath = Path.Combine(folder, ConfigFile);
        if (!File.Exists(cfgPath)) throw new FileNotFoundException($"sae: no {ConfigFile} in '{folder}'", cfgPath);
        var config = SaeConfig.FromJson(File.ReadAllText(cfgPath), cfgPath);
        string weights = Path.Combine(folder, WeightsFile);
        if (!File.Exists(weights)) weights = Path.Combine(folder, OldWeightsFile);
        if (!File.Exists(weights)) throw new FileNotFoundException($"sae: neither {WeightsFile} nor {OldWeightsFile} in '{folder}'", weights);
        var sae = new SparseAutoencoder(config, new Generator(0));
        using var file = SafeTensorsFile.Open(weights);
        try { sae.LoadStateDict(TensorIO.ReadAll(file)); }
        catch (ArgumentException e) { throw new InvalidDataException($"sae: {weights} does not fit {cfgPath} (d_in {config.DIn}, d_sae {config.DSae}): {e.Message}", e); }
        return sae;
    }

    void CheckInput(string op, Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Rank == 0 || x.Size(-1) != DIn)
            throw new ArgumentException($"sae {op}: expected activations [.., d_in = {DIn}], got {ShapeUtil.Format(x.ShapeArray)}");
    }
}

/// <summary>One batch's loss and its parts: MSE term, L1 term (null for TopK), feature activations and reconstruction.</summary>
public sealed record SaeLoss(Tensor Total, Tensor Mse, Tensor? L1, Tensor Features, Tensor Reconstruction);
