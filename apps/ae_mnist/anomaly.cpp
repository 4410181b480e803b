// ae_mnist anomaly: trained on all classes but one; the held-out class detected by reconstruction
// error (ROC-AUC, a threshold at a false-positive rate).
#include "apps/ae_mnist/ae_mnist.hpp"

namespace smallnet::ae_mnist {

void run_anomaly(const Settings& s) {
    OutputFolder out(s.out, {"weights.safetensors", "history.csv", "loss.png", "scores.csv", "anomalies.png"});
    const MnistData data = load(s);
    const std::int64_t pixels = data.train.images.columns();
    const auto normal = [&](std::uint8_t label) { return label != s.anomaly_class; };
    const ByteMatrix train_normal = take_rows(data.train.images, indices_where(data.train.labels, normal));
    const ByteMatrix test_normal = take_rows(data.test.images, indices_where(data.test.labels, normal));
    std::printf("training on the %lld images not of class %d\n", static_cast<long long>(train_normal.rows()), s.anomaly_class);

    Autoencoder ae = make_autoencoder(pixels, s.bottleneck, 128, {}, s.seed);
    const History history = train(ae, s, train_normal, test_normal, {.out = &out});
    ae.model.save_weights(out.file("weights.safetensors"));
    save_history_csv(out.file("history.csv"), history);
    save_loss_plot(out.file("loss.png"), history, "Autoencoder of the normal classes", s.loss);

    // Score: each test image's reconstruction error; positive: the held-out class.
    const Tensor test_x = data.test.images.to_tensor();
    const Tensor reconstructed = ae.model.predict(test_x);
    const std::vector<double> scores = row_mse(reconstructed, test_x);
    std::vector<std::uint8_t> anomalous(data.test.labels.size());
    for (std::size_t i = 0; i < anomalous.size(); ++i) anomalous[i] = data.test.labels[i] == s.anomaly_class;
    const double auc = roc_auc(scores, anomalous);
    const OperatingPoint point = threshold_at_fpr(scores, anomalous, s.fpr);

    CsvTable table{{"index", "label", "score", "anomalous", "flagged"}, {}};
    for (std::size_t i = 0; i < scores.size(); ++i)
        table.rows.push_back({static_cast<double>(i), static_cast<double>(data.test.labels[i]), scores[i],
                              static_cast<double>(anomalous[i]), scores[i] > point.threshold ? 1.0 : 0.0});
    save_csv(out.file("scores.csv"), table);

    // The 10 highest and 10 lowest scores, each above its reconstruction.
    std::vector<std::int64_t> order(scores.size());
    std::iota(order.begin(), order.end(), std::int64_t{0});
    std::stable_sort(order.begin(), order.end(), [&](std::int64_t a, std::int64_t b) { return scores[static_cast<std::size_t>(a)] > scores[static_cast<std::size_t>(b)]; });
    const auto count = std::min<std::size_t>(10, order.size());
    const std::vector<std::int64_t> most(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(count));
    const std::vector<std::int64_t> least(order.end() - static_cast<std::ptrdiff_t>(count), order.end());
    save_image_grid(out.file("anomalies.png"),
                    {pick(test_x, most), pick(reconstructed, most), pick(test_x, least), pick(reconstructed, least)},
                    static_cast<int>(data.test.rows), static_cast<int>(data.test.columns));

    std::printf("\nanomaly class %d: ROC-AUC %.4f\n", s.anomaly_class, auc);
    std::printf("threshold at false-positive rate <= %.3f: score > %.6f flags %.1f%% of class %d (false-positive rate %.3f)\n",
                s.fpr, point.threshold, 100 * point.true_positive_rate, s.anomaly_class, point.false_positive_rate);
    out.commit();
    print_written_files(stdout, out.path(), out.files());
}

}  // namespace smallnet::ae_mnist
