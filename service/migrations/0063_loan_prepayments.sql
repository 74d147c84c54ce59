-- Each 提前还款 with its day: the repayment plan lowers the principal from
-- that day, so instalments due before it stay as they were (the running sum
-- loan_applications.prepaid_fen stays for the limit check and the lists).
CREATE TABLE IF NOT EXISTS loan_prepayments (
  id {{pk}},
  application_id BIGINT NOT NULL,
  paid_on {{datetime}} NOT NULL,
  amount_fen BIGINT NOT NULL,
  created_by VARCHAR(64) NOT NULL,
  created_at {{datetime}} NOT NULL,
  CONSTRAINT fk_loan_prepayments_application FOREIGN KEY (application_id) REFERENCES loan_applications(id)
) {{opts}};

CREATE INDEX idx_loan_prepayments_application ON loan_prepayments (application_id, paid_on);

-- Prepayments recorded before this table kept no day: the day of the
-- application's last change stands for it (the closest the records hold).
INSERT INTO loan_prepayments (application_id, paid_on, amount_fen, created_by, created_at)
SELECT id, updated_at, prepaid_fen, 'migration', updated_at FROM loan_applications
WHERE prepaid_fen > 0 AND id NOT IN (SELECT application_id FROM loan_prepayments);
