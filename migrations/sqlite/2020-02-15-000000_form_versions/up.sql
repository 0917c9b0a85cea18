-- Each organization's daily form, one row per version. A version is never changed once made:
-- a check-in names the version it was answered on, and old answers stay readable by it.
CREATE TABLE forms (
    org_id TEXT NOT NULL REFERENCES organizations (id),
    version INTEGER NOT NULL,
    fields TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    -- Who made the version; none for the form an organization starts with.
    created_by TEXT REFERENCES users (id),
    PRIMARY KEY (org_id, version)
);

-- Every organization made before forms were its own starts from the default form as version 1.
INSERT INTO forms (org_id, version, fields, created_at, created_by)
SELECT id, 1, '[{"key":"temperature","label":{"en":"Body temperature","zh-CN":"体温"},"required":true,"carry_over":false,"type":"number","min":34.0,"max":43.0,"decimals":1,"unit":"°C","abnormal_at_or_above":37.3,"abnormal_at_or_below":null},{"key":"symptoms","label":{"en":"Symptoms","zh-CN":"症状"},"required":true,"carry_over":true,"type":"multi_choice","options":[{"value":"fever","label":{"en":"Fever","zh-CN":"发热"}},{"value":"cough","label":{"en":"Cough","zh-CN":"咳嗽"}},{"value":"sore_throat","label":{"en":"Sore throat","zh-CN":"咽痛"}},{"value":"fatigue","label":{"en":"Fatigue","zh-CN":"乏力"}},{"value":"shortness_of_breath","label":{"en":"Shortness of breath","zh-CN":"呼吸急促"}},{"value":"loss_of_taste_or_smell","label":{"en":"Loss of taste or smell","zh-CN":"味觉或嗅觉丧失"}},{"value":"diarrhea","label":{"en":"Diarrhea","zh-CN":"腹泻"}},{"value":"other","label":{"en":"Other","zh-CN":"其他"}}],"abnormal_if_any":true},{"key":"location","label":{"en":"Where you are today","zh-CN":"今日所在地"},"required":false,"carry_over":true,"type":"text","max_length":200},{"key":"work_status","label":{"en":"Working from","zh-CN":"工作状态"},"required":true,"carry_over":true,"type":"single_choice","options":[{"value":"office","label":{"en":"Office","zh-CN":"到岗办公"}},{"value":"remote","label":{"en":"Remote","zh-CN":"居家办公"}},{"value":"leave","label":{"en":"On leave","zh-CN":"休假"}},{"value":"quarantine","label":{"en":"Quarantine","zh-CN":"隔离"}}],"abnormal_values":[]},{"key":"close_contact","label":{"en":"Close contact with a case","zh-CN":"是否密切接触者"},"required":true,"carry_over":true,"type":"boolean","abnormal_if_true":true},{"key":"travel_to_risk_area","label":{"en":"Travel to a risk area","zh-CN":"是否去过风险地区"},"required":true,"carry_over":true,"type":"boolean","abnormal_if_true":true},{"key":"health_code","label":{"en":"Health code","zh-CN":"健康码"},"required":true,"carry_over":true,"type":"single_choice","options":[{"value":"green","label":{"en":"Green","zh-CN":"绿码"}},{"value":"yellow","label":{"en":"Yellow","zh-CN":"黄码"}},{"value":"red","label":{"en":"Red","zh-CN":"红码"}}],"abnormal_values":["yellow","red"]},{"key":"note","label":{"en":"Note","zh-CN":"备注"},"required":false,"carry_over":true,"type":"text","max_length":500}]', created_at, NULL FROM organizations;

ALTER TABLE checkins ADD COLUMN form_version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE checkin_revisions ADD COLUMN form_version INTEGER NOT NULL DEFAULT 1;
