//! Typed answers a careful Chinese student writes, right and wrong, and properties of the
//! grader over any number and any formatting noise.

use super::*;
use crate::cards::{format_figure, generate, CardData, CardKind, APP_SEED};
use crate::content::FactBody;
use proptest::prelude::*;

/// (typed, expected number, percent, right): every figure of the shipped content, each with
/// its right spellings and its 10× mistakes.
const NUMBERS: &[(&str, f64, bool, bool)] = &[
    // alphacode: rank 54.3%
    ("54.3%", 54.3, true, true),
    ("54.3", 54.3, true, true),
    ("前54.3%", 54.3, true, true),
    ("百分之五十四点三", 54.3, true, true),
    ("约54%", 54.3, true, true),
    ("0.543", 54.3, true, true),
    ("top 54.3%", 54.3, true, true),
    ("54.3%左右", 54.3, true, true),
    ("5.43%", 54.3, true, false),
    ("543", 54.3, true, false),
    ("50%", 54.3, true, false),
    ("55%", 54.3, true, false),
    // alphacode: more than 5000 participants
    ("5000", 5000.0, false, true),
    ("超过5000人", 5000.0, false, true),
    ("5千", 5000.0, false, true),
    ("五千", 5000.0, false, true),
    ("5,000", 5000.0, false, true),
    ("5000多", 5000.0, false, true),
    ("over 5000", 5000.0, false, true),
    ("5k", 5000.0, false, true),
    ("500", 5000.0, false, false),
    ("50000", 5000.0, false, false),
    ("5万", 5000.0, false, false),
    ("4000", 5000.0, false, false),
    // alphacode: 41B parameters
    ("41B", 41e9, false, true),
    ("410亿", 41e9, false, true),
    ("41 billion", 41e9, false, true),
    ("4.1e10", 41e9, false, true),
    ("约410亿个参数", 41e9, false, true),
    ("4.1B", 41e9, false, false),
    ("41亿", 41e9, false, false),
    ("410B", 41e9, false, false),
    ("4100亿", 41e9, false, false),
    ("40B", 41e9, false, false),
    // alphacode: at most 10 submissions
    ("10", 10.0, false, true),
    ("十", 10.0, false, true),
    ("最多10份", 10.0, false, true),
    ("1", 10.0, false, false),
    ("100", 10.0, false, false),
    // bloom: 46 natural languages, 13 programming languages
    ("46", 46.0, false, true),
    ("四十六种", 46.0, false, true),
    ("46种自然语言", 46.0, false, true),
    ("4.6", 46.0, false, false),
    ("460", 46.0, false, false),
    ("13", 13.0, false, true),
    ("十三", 13.0, false, true),
    ("1.3", 13.0, false, false),
    ("130", 13.0, false, false),
    // bloom: 176B parameters
    ("176B", 176e9, false, true),
    ("1760亿", 176e9, false, true),
    ("一千七百六十亿", 176e9, false, true),
    ("1.76e11", 176e9, false, true),
    ("176 billion parameters", 176e9, false, true),
    ("0.176T", 176e9, false, true),
    ("17.6B", 176e9, false, false),
    ("176亿", 176e9, false, false),
    ("1.76万亿", 176e9, false, false),
    // bloom: about 3.5 months
    ("3.5", 3.5, false, true),
    ("三个半月", 3.5, false, true),
    ("3个半月", 3.5, false, true),
    ("大约3.5个月", 3.5, false, true),
    ("35", 3.5, false, false),
    ("0.35", 3.5, false, false),
    ("3", 3.5, false, false),
    // chain-of-thought: 8 exemplars, about 100B parameters
    ("8", 8.0, false, true),
    ("八个", 8.0, false, true),
    ("8-shot", 8.0, false, true),
    ("80", 8.0, false, false),
    ("0.8", 8.0, false, false),
    ("100B", 100e9, false, true),
    ("1000亿", 100e9, false, true),
    ("千亿", 100e9, false, true),
    ("1e11", 100e9, false, true),
    ("10^11", 100e9, false, true),
    ("约1000亿参数", 100e9, false, true),
    ("10B", 100e9, false, false),
    ("100亿", 100e9, false, false),
    ("1万亿", 100e9, false, false),
    ("1T", 100e9, false, false),
    // chinchilla: 70B parameters
    ("70B", 70e9, false, true),
    ("700亿", 70e9, false, true),
    ("七百亿", 70e9, false, true),
    ("7e10", 70e9, false, true),
    ("70 bn", 70e9, false, true),
    ("Chinchilla-70B", 70e9, false, true),
    ("７０Ｂ", 70e9, false, true),
    ("70,000,000,000", 70e9, false, true),
    ("7B", 70e9, false, false),
    ("70亿", 70e9, false, false),
    ("700B", 70e9, false, false),
    ("7000亿", 70e9, false, false),
    ("70B或7B", 70e9, false, false),
    ("70", 70e9, false, false),
    // chinchilla: 1.4T tokens
    ("1.4T", 1.4e12, false, true),
    ("1.4万亿", 1.4e12, false, true),
    ("1.4 万亿", 1.4e12, false, true),
    ("１．４万亿", 1.4e12, false, true),
    ("1万4千亿", 1.4e12, false, true),
    ("一万四千亿", 1.4e12, false, true),
    ("1.4e12", 1.4e12, false, true),
    ("1.4×10^12", 1.4e12, false, true),
    ("1.4x10¹²", 1.4e12, false, true),
    ("14000亿", 1.4e12, false, true),
    ("1400B", 1.4e12, false, true),
    ("1.4 trillion tokens", 1.4e12, false, true),
    ("140B", 1.4e12, false, false),
    ("1400亿", 1.4e12, false, false),
    ("一千四百亿", 1.4e12, false, false),
    ("14T", 1.4e12, false, false),
    ("1万亿", 1.4e12, false, false),
    ("0.14T", 1.4e12, false, false),
    ("1.5T", 1.4e12, false, false),
    // chinchilla: about 20 tokens per parameter
    ("20", 20.0, false, true),
    ("二十个", 20.0, false, true),
    ("约20个token", 20.0, false, true),
    ("每一个参数约20个token", 20.0, false, true),
    ("2", 20.0, false, false),
    ("200", 20.0, false, false),
    // chinchilla: MMLU 67.5%
    ("67.5%", 67.5, true, true),
    ("0.675", 67.5, true, true),
    ("67.5", 67.5, true, true),
    ("六十七点五", 67.5, true, true),
    ("68%", 67.5, true, true),
    ("67%", 67.5, true, false),
    ("6.75%", 67.5, true, false),
    ("675", 67.5, true, false),
    ("0.0675", 67.5, true, false),
    // gpt-4: top 10% of the bar exam
    ("前10%", 10.0, true, true),
    ("10%", 10.0, true, true),
    ("top 10%", 10.0, true, true),
    ("0.1", 10.0, true, true),
    ("百分之十", 10.0, true, true),
    ("十分之一", 10.0, true, true),
    ("1%", 10.0, true, false),
    ("100%", 10.0, true, false),
    ("前1%", 10.0, true, false),
    // gpt-4: MMLU 86.4%
    ("86.4%", 86.4, true, true),
    ("86.4", 86.4, true, true),
    ("0.864", 86.4, true, true),
    ("86%", 86.4, true, true),
    ("86.4% (5-shot)", 86.4, true, true),
    ("百分之86.4", 86.4, true, true),
    ("8.64%", 86.4, true, false),
    // gpt-4: at least 1000 times the compute
    ("1000", 1000.0, false, true),
    ("1000倍", 1000.0, false, true),
    ("千倍", 1000.0, false, true),
    ("至少1000倍", 1000.0, false, true),
    ("1,000", 1000.0, false, true),
    ("一千倍", 1000.0, false, true),
    ("1k", 1000.0, false, true),
    ("100倍", 1000.0, false, false),
    ("10000倍", 1000.0, false, false),
    ("1万倍", 1000.0, false, false),
    ("100000%", 1000.0, false, false),
    // instructgpt: 1.3B parameters
    ("1.3B", 1.3e9, false, true),
    ("13亿", 1.3e9, false, true),
    ("1.3 billion", 1.3e9, false, true),
    ("只有13亿参数", 1.3e9, false, true),
    ("13B", 1.3e9, false, false),
    ("1.3亿", 1.3e9, false, false),
    ("130亿", 1.3e9, false, false),
    ("0.13B", 1.3e9, false, false),
    // instructgpt: preferred 85% of the time, about 40 labelers
    ("85%", 85.0, true, true),
    ("85±3%", 85.0, true, true),
    ("0.85", 85.0, true, true),
    ("约85%", 85.0, true, true),
    ("百分之八十五", 85.0, true, true),
    ("8.5%", 85.0, true, false),
    ("40", 40.0, false, true),
    ("约40名", 40.0, false, true),
    ("四十", 40.0, false, true),
    ("4", 40.0, false, false),
    ("400", 40.0, false, false),
    // llama-2: more than 1M comparisons
    ("100万", 1e6, false, true),
    ("一百万", 1e6, false, true),
    ("百万", 1e6, false, true),
    ("1M", 1e6, false, true),
    ("超过100万条", 1e6, false, true),
    ("1 million", 1e6, false, true),
    ("1,000,000", 1e6, false, true),
    ("10万", 1e6, false, false),
    ("1000万", 1e6, false, false),
    ("数百万", 1e6, false, false),
    // llama-2: 700M monthly active users
    ("7亿", 700e6, false, true),
    ("700M", 700e6, false, true),
    ("七亿", 700e6, false, true),
    ("0.7B", 700e6, false, true),
    ("70000万", 700e6, false, true),
    ("7 亿月活", 700e6, false, true),
    ("70亿", 700e6, false, false),
    ("7000亿", 700e6, false, false),
    ("70M", 700e6, false, false),
    ("7000万", 700e6, false, false),
    // llama-2: 2T tokens
    ("2T", 2e12, false, true),
    ("2万亿", 2e12, false, true),
    ("两万亿", 2e12, false, true),
    ("2 trillion", 2e12, false, true),
    ("2000B", 2e12, false, true),
    ("Llama 2 用了 2T", 2e12, false, true),
    ("2000亿", 2e12, false, false),
    ("20万亿", 2e12, false, false),
    ("0.2T", 2e12, false, false),
    ("200B", 2e12, false, false),
    // llama and qlora: 65B parameters
    ("65B", 65e9, false, true),
    ("650亿", 65e9, false, true),
    ("LLaMA-65B", 65e9, false, true),
    ("六百五十亿", 65e9, false, true),
    ("6.5B", 65e9, false, false),
    ("65亿", 65e9, false, false),
    ("650B", 65e9, false, false),
    ("6500亿", 65e9, false, false),
    // llama: 1T tokens for the small models
    ("1T", 1e12, false, true),
    ("1万亿", 1e12, false, true),
    ("一万亿", 1e12, false, true),
    ("1.0T", 1e12, false, true),
    ("1e12", 1e12, false, true),
    ("10^12", 1e12, false, true),
    ("1000亿", 1e12, false, false),
    ("10万亿", 1e12, false, false),
    ("100B", 1e12, false, false),
    ("1.4T", 1e12, false, false),
    // palm: 540B parameters, 6144 chips
    ("540B", 540e9, false, true),
    ("5400亿", 540e9, false, true),
    ("五千四百亿", 540e9, false, true),
    ("PaLM 540B", 540e9, false, true),
    ("0.54T", 540e9, false, true),
    ("54B", 540e9, false, false),
    ("540亿", 540e9, false, false),
    ("5.4T", 540e9, false, false),
    ("5.4万亿", 540e9, false, false),
    ("6144", 6144.0, false, true),
    ("6,144块", 6144.0, false, true),
    ("六千一百四十四", 6144.0, false, true),
    ("6144 块 TPU v4 芯片", 6144.0, false, true),
    ("614", 6144.0, false, false),
    ("61440", 6144.0, false, false),
    ("6000", 6144.0, false, false),
    ("614.4", 6144.0, false, false),
    // palm: GSM8K 54% and 58%
    ("54%", 54.0, true, true),
    ("54", 54.0, true, true),
    ("0.54", 54.0, true, true),
    ("百分之五十四", 54.0, true, true),
    ("5.4%", 54.0, true, false),
    ("540", 54.0, true, false),
    ("54.3%", 54.0, true, false),
    ("58%", 58.0, true, true),
    ("约58%", 58.0, true, true),
    ("0.58", 58.0, true, true),
    ("58.0", 58.0, true, true),
    ("5.8", 58.0, true, false),
    // qlora: 4 bits, more than 780 GB, 99.3%
    ("4", 4.0, false, true),
    ("4-bit", 4.0, false, true),
    ("4位", 4.0, false, true),
    ("四位", 4.0, false, true),
    ("4 bit", 4.0, false, true),
    ("40", 4.0, false, false),
    ("0.4", 4.0, false, false),
    ("16", 4.0, false, false),
    ("780GB", 780.0, false, true),
    ("780 GB", 780.0, false, true),
    ("七百八十GB", 780.0, false, true),
    ("超过780GB", 780.0, false, true),
    ("780", 780.0, false, true),
    ("78GB", 780.0, false, false),
    ("7800GB", 780.0, false, false),
    ("99.3%", 99.3, true, true),
    ("0.993", 99.3, true, true),
    ("百分之九十九点三", 99.3, true, true),
    ("99%", 99.3, true, true),
    ("9.93%", 99.3, true, false),
    ("993", 99.3, true, false),
    // no number, a negated number
    ("", 70e9, false, false),
    ("不知道", 70e9, false, false),
    ("不是70B", 70e9, false, false),
];

/// A glossary like the content's: one list of names per term.
fn index() -> NameIndex {
    let entries: &[&[&str]] = &[
        &[
            "基于人类反馈的强化学习",
            "RLHF",
            "Reinforcement Learning from Human Feedback",
        ],
        &["监督微调", "SFT", "supervised fine-tuning"],
        &["奖励模型", "RM", "reward model"],
        &["PPO", "近端策略优化"],
        &["量化", "quantization"],
        &["双重量化", "double quantization"],
        &["4 位 NormalFloat", "4-bit NormalFloat", "NF4"],
        &["低秩适配器", "LoRA", "Low-Rank Adapters"],
        &["QLoRA"],
        &["PaLM"],
        &["LLaMA"],
        &["Llama 2"],
        &["Llama 2-Chat"],
        &["GPT-3"],
        &["GPT-3.5"],
        &["GPT-4"],
        &["ChatGPT"],
        &["InstructGPT"],
        &["Codex"],
        &["AlphaCode"],
        &["Chinchilla"],
        &["Gopher"],
        &[
            "思维链",
            "chain of thought",
            "CoT",
            "chain-of-thought prompting",
        ],
        &[
            "少样本提示",
            "few-shot prompting",
            "上下文学习",
            "in-context learning",
        ],
        &["GSM8K"],
        &["MMLU"],
        &["Codeforces"],
        &["CodeContests"],
        &["分组查询注意力", "GQA", "grouped-query attention"],
        &["注意力", "attention"],
        &["Transformer"],
        &["Ghost Attention", "幽灵注意力", "GAtt"],
        &["拒绝采样", "rejection sampling"],
        &["旋转位置编码", "RoPE", "rotary position embeddings"],
        &["多模态", "multimodal"],
        &["BLOOM"],
        &["BLOOMZ"],
        &["ROOTS"],
        &["Hugging Face", "HuggingFace"],
        &["Jean Zay"],
        &["Pathways"],
        &["验证器", "verifier"],
    ];
    NameIndex::new(
        entries
            .iter()
            .map(|e| e.iter().map(|s| s.to_string()).collect())
            .collect(),
    )
}

/// (typed, card answer, accepted, right): the fill cards' names, as the content has them.
#[allow(clippy::type_complexity)]
const NAMES: &[(&str, &str, &[&str], bool)] = &[
    // gpt-4: RLHF
    ("RLHF", RLHF, RLHF_ACC, true),
    ("rlhf", RLHF, RLHF_ACC, true),
    ("RLHF。", RLHF, RLHF_ACC, true),
    ("基于人类反馈的强化学习", RLHF, RLHF_ACC, true),
    ("RLHF 基于人类反馈的强化学习", RLHF, RLHF_ACC, true),
    ("基于人类反馈的强化学习（RLHF）", RLHF, RLHF_ACC, true),
    (
        "Reinforcement Learning from Human Feedback",
        RLHF,
        RLHF_ACC,
        true,
    ),
    (
        "reinforcement learning from human feedback (RLHF)",
        RLHF,
        RLHF_ACC,
        true,
    ),
    ("SFT", RLHF, RLHF_ACC, false),
    ("RLHF 和 SFT", RLHF, RLHF_ACC, false),
    ("不是RLHF", RLHF, RLHF_ACC, false),
    ("强化学习", RLHF, RLHF_ACC, false),
    ("PPO", RLHF, RLHF_ACC, false),
    ("", RLHF, RLHF_ACC, false),
    ("   ", RLHF, RLHF_ACC, false),
    // instructgpt / llama-2: SFT
    ("SFT", SFT, SFT_ACC, true),
    ("supervised fine-tuning", SFT, SFT_ACC, true),
    ("有监督微调", SFT, SFT_ACC, true),
    ("监督微调 SFT", SFT, SFT_ACC, true),
    ("微调", SFT, SFT_ACC, false),
    ("RLHF", SFT, SFT_ACC, false),
    // instructgpt: reward model
    ("RM", RM, RM_ACC, true),
    ("reward model", RM, RM_ACC, true),
    ("reward models", RM, RM_ACC, true),
    ("奖励模型", RM, RM_ACC, true),
    ("Transformer", RM, RM_ACC, false),
    ("模型", RM, RM_ACC, false),
    ("PPO", RM, RM_ACC, false),
    // qlora: NF4, double quantization, LoRA
    ("NF4", "NF4", NF4_ACC, true),
    ("nf-4", "NF4", NF4_ACC, true),
    ("NF4 数据类型", "NF4", NF4_ACC, true),
    ("4-bit NormalFloat", "NF4", NF4_ACC, true),
    ("4 位 NormalFloat", "NF4", NF4_ACC, true),
    ("NF8", "NF4", NF4_ACC, false),
    ("Int8", "NF4", NF4_ACC, false),
    ("双重量化", "NF4", NF4_ACC, false),
    ("双重量化", "双重量化", DQ_ACC, true),
    ("double quantization", "双重量化", DQ_ACC, true),
    ("Double Quantization", "双重量化", DQ_ACC, true),
    ("二次量化", "双重量化", DQ_ACC, true),
    ("双重量化（double quantization）", "双重量化", DQ_ACC, true),
    ("量化", "双重量化", DQ_ACC, false),
    ("量化两次", "双重量化", DQ_ACC, false),
    ("NF4", "双重量化", DQ_ACC, false),
    ("quantization", "量化", &[], true),
    ("模型量化", "量化", &[], true),
    ("双重量化", "量化", &[], false),
    ("LoRA", LORA, LORA_ACC, true),
    ("lora", LORA, LORA_ACC, true),
    ("Low-Rank Adapter", LORA, LORA_ACC, true),
    ("LoRA 适配器", LORA, LORA_ACC, true),
    ("QLoRA", LORA, LORA_ACC, false),
    // chain-of-thought: PaLM 540B
    ("PaLM", "PaLM 540B", PALM_ACC, true),
    ("PaLM 540B", "PaLM 540B", PALM_ACC, true),
    ("PaLM-540B", "PaLM 540B", PALM_ACC, true),
    ("PaLM 5400亿参数", "PaLM 540B", PALM_ACC, true),
    ("PaLM 540B 模型", "PaLM 540B", PALM_ACC, true),
    ("PaLM 62B", "PaLM 540B", PALM_ACC, false),
    ("GPT-3", "PaLM 540B", PALM_ACC, false),
    ("LaMDA", "PaLM 540B", PALM_ACC, false),
    // qlora: LLaMA; Llama 2
    ("LLaMA", "LLaMA", &["llama", "Llama"], true),
    ("LLaMA-65B", "LLaMA", &["llama", "Llama"], true),
    ("llama 65b", "LLaMA", &["llama", "Llama"], true),
    ("LLaMA 650亿", "LLaMA", &["llama", "Llama"], true),
    ("Llama 2", "LLaMA", &["llama", "Llama"], false),
    ("Llama 2 70B", "LLaMA", &["llama", "Llama"], false),
    ("Alpaca", "LLaMA", &["llama", "Llama"], false),
    ("Llama 2 70B", "Llama 2", &[], true),
    ("Llama 2-70B", "Llama 2", &[], true),
    ("llama2", "Llama 2", &[], true),
    ("LLaMA", "Llama 2", &[], false),
    ("Llama 2-Chat", "Llama 2", &[], false),
    // instructgpt / llama: GPT-3; GPT-3.5
    ("GPT-3", "GPT-3", GPT3_ACC, true),
    ("gpt3", "GPT-3", GPT3_ACC, true),
    ("GPT 3", "GPT-3", GPT3_ACC, true),
    ("GPT-3 175B", "GPT-3", GPT3_ACC, true),
    ("GPT-3（1750亿参数）", "GPT-3", GPT3_ACC, true),
    ("GPT-3.5", "GPT-3", GPT3_ACC, false),
    ("GPT-35", "GPT-3", GPT3_ACC, false),
    ("GPT-4", "GPT-3", GPT3_ACC, false),
    ("InstructGPT", "GPT-3", GPT3_ACC, false),
    ("GPT-3.5", "GPT-3.5", &[], true),
    ("gpt 3.5", "GPT-3.5", &[], true),
    ("GPT-35", "GPT-3.5", &[], false),
    ("GPT-3", "GPT-3.5", &[], false),
    // instructgpt: ChatGPT; alphacode: Codex
    ("ChatGPT", "ChatGPT", &["chatgpt", "Chat GPT"], true),
    ("Chat GPT", "ChatGPT", &["chatgpt", "Chat GPT"], true),
    ("GPT-4", "ChatGPT", &["chatgpt", "Chat GPT"], false),
    ("InstructGPT", "ChatGPT", &["chatgpt", "Chat GPT"], false),
    ("Codex", "Codex", &["codex", "OpenAI Codex"], true),
    ("OpenAI Codex", "Codex", &["codex", "OpenAI Codex"], true),
    ("codex 模型", "Codex", &["codex", "OpenAI Codex"], true),
    ("AlphaCode", "Codex", &["codex", "OpenAI Codex"], false),
    ("并非 Codex", "Codex", &["codex", "OpenAI Codex"], false),
    ("not Codex", "Codex", &["codex", "OpenAI Codex"], false),
    // llama: Chinchilla; chinchilla: Gopher
    ("Chinchilla", "Chinchilla", CHIN_ACC, true),
    ("Chinchilla 70B", "Chinchilla", CHIN_ACC, true),
    ("Chinchilla 700亿", "Chinchilla", CHIN_ACC, true),
    ("Chinchilla 280B", "Chinchilla", CHIN_ACC, false),
    ("Gopher", "Chinchilla", CHIN_ACC, false),
    ("Gopher", "Gopher", &["gopher"], true),
    ("Gopher 280B", "Gopher", &["gopher"], true),
    ("Chinchilla", "Gopher", &["gopher"], false),
    // chain-of-thought: 思维链, 少样本提示
    ("思维链", "思维链", COT_ACC, true),
    ("CoT", "思维链", COT_ACC, true),
    ("cot", "思维链", COT_ACC, true),
    ("chain of thought", "思维链", COT_ACC, true),
    ("Chain-of-Thought", "思维链", COT_ACC, true),
    ("思维链（CoT）", "思维链", COT_ACC, true),
    ("chain-of-thought prompting", "思维链", COT_ACC, true),
    ("思维链提示", "思维链", COT_ACC, true),
    ("思维", "思维链", COT_ACC, false),
    ("scot", "思维链", COT_ACC, false),
    ("少样本提示", "思维链", COT_ACC, false),
    ("few-shot", "少样本提示", FEW_ACC, true),
    ("few shot prompting", "少样本提示", FEW_ACC, true),
    ("少样本", "少样本提示", FEW_ACC, true),
    ("in-context learning", "少样本提示", FEW_ACC, true),
    ("零样本", "少样本提示", FEW_ACC, false),
    ("思维链", "少样本提示", FEW_ACC, false),
    // benchmarks and datasets
    ("MMLU", "MMLU", &["mmlu"], true),
    ("mmlu 基准", "MMLU", &["mmlu"], true),
    ("GSM8K", "MMLU", &["mmlu"], false),
    ("MMLU 和 GSM8K", "MMLU", &["mmlu"], false),
    ("Codeforces", "Codeforces", &["codeforces", "CF"], true),
    ("CF", "Codeforces", &["codeforces", "CF"], true),
    ("codeforces 比赛", "Codeforces", &["codeforces", "CF"], true),
    ("LeetCode", "Codeforces", &["codeforces", "CF"], false),
    ("CodeContests", "Codeforces", &["codeforces", "CF"], false),
    ("Code Contests", "CodeContests", &["Code Contests"], true),
    (
        "CodeContests 数据集",
        "CodeContests",
        &["Code Contests"],
        true,
    ),
    ("Codeforces", "CodeContests", &["Code Contests"], false),
    ("ROOTS 语料库", "ROOTS", &["roots", "ROOTS 语料库"], true),
    ("roots", "ROOTS", &["roots"], true),
    ("The Pile", "ROOTS", &["roots"], false),
    // llama-2: Ghost Attention, 拒绝采样, GQA; llama: RoPE
    ("GAtt", "Ghost Attention", GATT_ACC, true),
    ("幽灵注意力", "Ghost Attention", GATT_ACC, true),
    ("ghost attention", "Ghost Attention", GATT_ACC, true),
    ("注意力", "Ghost Attention", GATT_ACC, false),
    ("分组查询注意力", "Ghost Attention", GATT_ACC, false),
    (
        "rejection sampling",
        "拒绝采样",
        &["rejection sampling"],
        true,
    ),
    ("拒绝采样", "拒绝采样", &["rejection sampling"], true),
    ("采样", "拒绝采样", &["rejection sampling"], false),
    (
        "GQA",
        "分组查询注意力（GQA）",
        &["grouped-query attention"],
        true,
    ),
    (
        "grouped-query attention",
        "分组查询注意力（GQA）",
        &[],
        true,
    ),
    ("注意力", "分组查询注意力（GQA）", &[], false),
    (
        "RoPE",
        "旋转位置编码（RoPE）",
        &["rotary position embeddings"],
        true,
    ),
    ("旋转位置编码", "旋转位置编码（RoPE）", &[], true),
    (
        "rotary position embedding",
        "旋转位置编码（RoPE）",
        &[],
        true,
    ),
    ("位置编码", "旋转位置编码（RoPE）", &[], false),
    // gpt-4: 图像, 多模态模型, next-token prediction; chinchilla: 训练不足
    ("图像", "图像", &["图片", "image", "images"], true),
    ("images", "图像", &["图片", "image", "images"], true),
    ("视频", "图像", &["图片", "image", "images"], false),
    ("多模态", "多模态模型", &["多模态", "multimodal"], true),
    (
        "多模态大模型",
        "多模态模型",
        &["多模态", "multimodal"],
        true,
    ),
    ("multimodal", "多模态模型", &["多模态", "multimodal"], true),
    ("next token prediction", "预测下一个 token", NEXT_ACC, true),
    ("预测下一个词", "预测下一个 token", NEXT_ACC, true),
    ("预测下一个token", "预测下一个 token", NEXT_ACC, true),
    ("预测上一个 token", "预测下一个 token", NEXT_ACC, false),
    (
        "undertrained",
        "训练不足",
        &["undertrained", "欠训练"],
        true,
    ),
    ("欠训练", "训练不足", &["undertrained", "欠训练"], true),
    ("训练过度", "训练不足", &["undertrained", "欠训练"], false),
    // bloom: Jean Zay, Hugging Face, BLOOM; palm: Pathways, AlphaCode
    ("Jean Zay", "Jean Zay", &["JeanZay"], true),
    ("JeanZay", "Jean Zay", &[], true),
    ("Jean Zay 超级计算机", "Jean Zay", &[], true),
    ("抱抱脸", "Hugging Face", &["HuggingFace", "抱抱脸"], true),
    ("HuggingFace", "Hugging Face", &[], true),
    ("Google", "Hugging Face", &[], false),
    ("BLOOM", "BLOOM", &["bloom"], true),
    ("bloom 176B", "BLOOM", &["bloom"], true),
    ("BLOOMZ", "BLOOM", &["bloom"], false),
    ("Pathways 系统", "Pathways", &["pathways"], true),
    ("TPU", "Pathways", &["pathways"], false),
    (
        "Alpha Code",
        "AlphaCode",
        &["alphacode", "Alpha Code"],
        true,
    ),
    ("Codex", "AlphaCode", &["alphacode"], false),
];

const RLHF: &str = "基于人类反馈的强化学习（RLHF）";
const RLHF_ACC: &[&str] = &["RLHF", "基于人类反馈的强化学习"];
const SFT: &str = "监督微调（SFT）";
const SFT_ACC: &[&str] = &["监督微调", "SFT", "supervised fine-tuning", "有监督微调"];
const RM: &str = "奖励模型（RM）";
const RM_ACC: &[&str] = &["奖励模型", "RM", "reward model"];
const NF4_ACC: &[&str] = &[
    "4-bit NormalFloat",
    "NormalFloat",
    "4 位 NormalFloat",
    "4位NormalFloat",
];
const DQ_ACC: &[&str] = &["double quantization", "二次量化", "双量化"];
const LORA: &str = "低秩适配器（LoRA）";
const LORA_ACC: &[&str] = &[
    "LoRA",
    "低秩适配器",
    "适配器",
    "Low-Rank Adapters",
    "LoRA 适配器",
];
const PALM_ACC: &[&str] = &["PaLM", "PaLM-540B", "palm 540b"];
const GPT3_ACC: &[&str] = &["GPT3", "gpt-3", "GPT-3 175B"];
const CHIN_ACC: &[&str] = &["Chinchilla-70B", "chinchilla 70B"];
const COT_ACC: &[&str] = &["chain of thought", "chain-of-thought", "CoT"];
const FEW_ACC: &[&str] = &["few-shot prompting", "few-shot", "少样本", "少样本学习"];
const GATT_ACC: &[&str] = &[
    "幽灵注意力",
    "Ghost Attention（幽灵注意力）",
    "ghost attention",
];
const NEXT_ACC: &[&str] = &[
    "下一个token预测",
    "预测下一个词",
    "next token prediction",
    "next-token prediction",
];

fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

#[test]
fn typed_numbers_table() {
    let mut wrong = Vec::new();
    for (typed, expected, percent, right) in NUMBERS {
        if check_number(typed, *expected, *percent) != *right {
            wrong.push(format!(
                "{typed:?} for {expected} (percent {percent}): want {right}"
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} rows:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

#[test]
fn typed_names_table() {
    let index = index();
    let mut wrong = Vec::new();
    for (typed, answer, accept, right) in NAMES {
        if check(typed, answer, &strings(accept), None, false, &index) != *right {
            wrong.push(format!("{typed:?} for {answer:?}: want {right}"));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} rows:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

#[test]
fn the_table_is_large_and_balanced() {
    let rows = NUMBERS.len() + NAMES.len();
    let right = NUMBERS.iter().filter(|r| r.3).count() + NAMES.iter().filter(|r| r.3).count();
    assert!(rows >= 150, "{rows}");
    assert!(
        right * 4 > rows && right * 4 < rows * 3,
        "{right} of {rows}"
    );
}

#[test]
fn numbers_are_read_with_their_precision() {
    let r = read_numbers("1.4万亿");
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].value, 1.4e12);
    assert_eq!(r[0].precision, 1e11);
    assert_eq!(read_numbers("700亿")[0].precision, 1e8);
    assert_eq!(read_numbers("七百亿")[0].value, 7e10);
    assert_eq!(read_numbers("一百零五")[0].value, 105.0);
    assert_eq!(read_numbers("一万四")[0].value, 14000.0);
    assert_eq!(read_numbers("1亿4千万")[0].value, 1.4e8);
    assert!(read_numbers("GPT-4 和 TPU v4").is_empty());
    assert!(is_percent_answer("67.5%"));
    assert!(!is_percent_answer("700 亿个参数"));
}

/// The index the quiz will use: concepts and paper terms of the shipped content.
fn content() -> &'static crate::content::Content {
    static C: std::sync::OnceLock<crate::content::Content> = std::sync::OnceLock::new();
    C.get_or_init(|| crate::content::embedded().expect("shipped content is valid"))
}

#[test]
fn every_shipped_fill_card_is_graded_fairly() {
    let content = content();
    let cards = generate(content, APP_SEED).expect("generates");
    let index = NameIndex::from_content(content);
    let mut failures = Vec::new();
    let mut checked = 0;
    for card in &cards {
        let CardData::Fill {
            answer,
            accept,
            number,
        } = &card.data
        else {
            continue;
        };
        let unit = content
            .paper(&card.paper)
            .and_then(|p| p.facts.iter().find(|f| f.key == card.fact_key))
            .and_then(|f| match &f.body {
                FactBody::Figure { unit, .. } => Some(unit.clone()),
                _ => None,
            })
            .unwrap_or_default();
        let percent = unit.starts_with('%');
        assert_eq!(
            percent,
            number.is_some() && is_percent_answer(answer),
            "{}",
            card.id
        );
        let grade = |typed: &str| check(typed, answer, accept, *number, percent, &index);
        checked += 1;
        if !grade(answer) {
            failures.push(format!(
                "{}: its own answer {answer:?} is rejected",
                card.id
            ));
        }
        for a in accept {
            if !grade(a) {
                failures.push(format!("{}: accepted spelling {a:?} is rejected", card.id));
            }
        }
        if let Some(n) = number {
            for wrong in [
                format_figure(n * 10.0, &unit),
                format_figure(n / 10.0, &unit),
            ] {
                if grade(&wrong) {
                    failures.push(format!("{}: 10× off {wrong:?} is accepted", card.id));
                }
            }
        }
        let sibling = cards.iter().find(|c| {
            c.paper == card.paper && c.fact_key == card.fact_key && c.kind == CardKind::Choice
        });
        if let Some(CardData::Choice { distractors, .. }) = sibling.map(|c| &c.data) {
            for d in distractors {
                if grade(d) {
                    failures.push(format!(
                        "{}: the choice card's distractor {d:?} is accepted for {answer:?}",
                        card.id
                    ));
                }
            }
        }
    }
    assert!(checked >= 50, "{checked}");
    assert!(
        failures.is_empty(),
        "{}:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// Properties

/// sig × 10^exp written out in plain decimal: (14, 11) → "1400000000000", (14, -1) → "1.4".
fn dec(sig: u64, exp: i32) -> String {
    let digits = sig.to_string();
    if exp >= 0 {
        return format!("{digits}{}", "0".repeat(exp as usize));
    }
    let shift = (-exp) as usize;
    let padded = if digits.len() <= shift {
        format!("{}{digits}", "0".repeat(shift - digits.len() + 1))
    } else {
        digits
    };
    let (int, frac) = padded.split_at(padded.len() - shift);
    let frac = frac.trim_end_matches('0');
    if frac.is_empty() {
        int.to_string()
    } else {
        format!("{int}.{frac}")
    }
}

const MAGNITUDES: [(&str, i32); 14] = [
    ("", 0),
    ("万", 4),
    ("亿", 8),
    ("万亿", 12),
    ("千", 3),
    ("K", 3),
    ("M", 6),
    ("B", 9),
    ("T", 12),
    (" thousand", 3),
    (" million", 6),
    (" billion", 9),
    (" trillion", 12),
    ("bn", 9),
];
const PREFIXES: [&str; 14] = [
    "",
    "约",
    "大约",
    "将近",
    "近",
    "超过",
    "至少",
    "最多",
    "top ",
    "前",
    "about ",
    "over ",
    "more than ",
    "~",
];
const SUFFIXES: [&str; 7] = ["", "左右", "以上", "多", "余", "上下", " 个"];

fn superscript(n: i32) -> String {
    n.to_string()
        .chars()
        .map(|c| match c {
            '0' => '⁰',
            '1' => '¹',
            '2' => '²',
            '3' => '³',
            '4' => '⁴',
            '5' => '⁵',
            '6' => '⁶',
            '7' => '⁷',
            '8' => '⁸',
            '9' => '⁹',
            other => other,
        })
        .collect()
}

fn full_width(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '!'..='~' => char::from_u32(c as u32 + 0xfee0).unwrap_or(c),
            ' ' => '\u{3000}',
            _ => c,
        })
        .collect()
}

/// sig × 10^exp in one of many spellings.
fn render(sig: u64, exp: i32, style: usize, space: bool) -> String {
    let sp = if space { " " } else { "" };
    if style < MAGNITUDES.len() {
        let (word, m) = MAGNITUDES[style];
        return format!("{}{sp}{word}", dec(sig, exp - m));
    }
    let digits = sig.to_string();
    let mantissa = if digits.len() > 1 {
        format!("{}.{}", &digits[..1], digits[1..].trim_end_matches('0'))
            .trim_end_matches('.')
            .to_string()
    } else {
        digits.clone()
    };
    let e = exp + digits.len() as i32 - 1;
    match style - MAGNITUDES.len() {
        0 => format!("{mantissa}e{e}"),
        1 => format!("{mantissa}{sp}×{sp}10^{e}"),
        2 if e >= 0 => format!("{mantissa}x10{}", superscript(e)),
        _ => format!("{mantissa}{sp}*{sp}10^{e}"),
    }
}

const STYLES: usize = MAGNITUDES.len() + 4;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn any_rendering_of_a_number_is_right_and_ten_times_off_never(
        sig in 1u64..10_000,
        exp in -2i32..=12,
        style in 0..STYLES,
        prefix in 0..PREFIXES.len(),
        suffix in 0..SUFFIXES.len(),
        space in any::<bool>(),
        wide in any::<bool>(),
    ) {
        let expected = decimal(&sig.to_string(), exp);
        prop_assume!((0.1..=1e13).contains(&expected));
        let dress = |s: String| {
            let s = format!("{}{s}{}", PREFIXES[prefix], SUFFIXES[suffix]);
            if wide { full_width(&s) } else { s }
        };
        let right = dress(render(sig, exp, style, space));
        prop_assert!(check_number(&right, expected, false), "{right:?} for {expected}");
        for off in [exp + 1, exp - 1] {
            let wrong = dress(render(sig, off, style, space));
            prop_assert!(!check_number(&wrong, expected, false), "{wrong:?} for {expected}");
        }
    }

    #[test]
    fn any_rendering_of_a_percentage_is_right_and_ten_times_off_never(
        sig in 1u64..=1000,
        exp in -2i32..=0,
        style in 0usize..6,
        prefix in 0..PREFIXES.len(),
        suffix in 0..SUFFIXES.len(),
        wide in any::<bool>(),
    ) {
        let expected = decimal(&sig.to_string(), exp);
        prop_assume!((0.1..=100.0).contains(&expected));
        let render = |exp: i32| {
            let p = dec(sig, exp);
            let s = match style {
                0 => format!("{p}%"),
                1 => p,
                2 => format!("百分之{p}"),
                3 => dec(sig, exp - 2),
                4 => format!("{p} %"),
                _ => format!("{p} percent"),
            };
            let s = format!("{}{s}{}", PREFIXES[prefix], SUFFIXES[suffix]);
            if wide { full_width(&s) } else { s }
        };
        let right = render(exp);
        prop_assert!(check_number(&right, expected, true), "{right:?} for {expected}%");
        for off in [exp + 1, exp - 1] {
            let wrong = render(off);
            prop_assert!(!check_number(&wrong, expected, true), "{wrong:?} for {expected}%");
        }
    }

    #[test]
    fn formatting_noise_never_changes_a_verdict(
        row in 0..(NUMBERS.len() + NAMES.len()),
        lead in 0usize..3,
        trail in 0usize..3,
        punct in 0usize..7,
        qualifier in 0usize..6,
        case in 0usize..3,
        wide in any::<bool>(),
    ) {
        const PUNCT: [&str; 7] = ["", "。", ".", "！", "?", "～", "…"];
        const QUALIFIERS: [&str; 6] = ["", "约", "大约", "about ", "我觉得是", "top "];
        let index = index();
        type Grader = Box<dyn Fn(&str) -> bool>;
        let (typed, grade): (&str, Grader) = if row < NUMBERS.len() {
            let (t, e, p, _) = NUMBERS[row];
            (t, Box::new(move |s: &str| check_number(s, e, p)))
        } else {
            let (t, a, acc, _) = NAMES[row - NUMBERS.len()];
            let acc = strings(acc);
            let index = index.clone();
            (t, Box::new(move |s: &str| check(s, a, &acc, None, false, &index)))
        };
        let mut noisy = format!(
            "{}{}{typed}{}{}",
            " ".repeat(lead),
            QUALIFIERS[qualifier],
            PUNCT[punct],
            " ".repeat(trail)
        );
        noisy = match case {
            1 => noisy.to_uppercase(),
            2 => noisy.to_lowercase(),
            _ => noisy,
        };
        if wide {
            noisy = full_width(&noisy);
        }
        prop_assert_eq!(grade(&noisy), grade(typed), "{:?} vs {:?}", noisy, typed);
    }
}
