-- How the contract repays the principal after the grace period: equal
-- shares of the principal (等额本金, POLICY.md's default) or equal yearly
-- instalments of principal and interest (等额本息), as the contract records.
ALTER TABLE loan_applications ADD COLUMN repayment_plan VARCHAR(20) NOT NULL DEFAULT 'equal_principal';
